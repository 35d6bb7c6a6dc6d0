#include "solvers/sgs_profiles.hpp"

#include <limits>

namespace iff::solvers {

SgsProfiles sgs_profiles(ChannelNSE& nse, const cvec& x) {
  const int ny = nse.grid().ny;
  SgsProfiles p;
  p.nu_t.assign(ny, 0.0);
  p.dissipation.assign(ny, 0.0);
  p.coefficient.assign(ny, 0.0);
  p.nu_total_min.assign(ny, std::numeric_limits<double>::max());
  if (!nse.les()) {
    p.nu_total_min.assign(ny, nse.physics().nu);
    return p;
  }
  const SgsEvaluation& s = nse.evaluate_sgs(x);
  const spectral::ChannelTransform& tr = nse.transform();
  for (int jl = 0; jl < tr.ny_local(); ++jl) {
    const int J = tr.y0() + jl;
    p.nu_t[J] = s.plane_nu_t[jl];
    p.dissipation[J] = s.plane_dissipation[jl];
    p.coefficient[J] = s.coefficient[jl];
    p.nu_total_min[J] = s.plane_nu_total_min[jl];
  }
  // every plane lives on one rank: the sums only add zeros
  for (auto* v : {&p.nu_t, &p.dissipation, &p.coefficient})
    MPI_Allreduce(MPI_IN_PLACE, v->data(), ny, MPI_DOUBLE, MPI_SUM, nse.comm());
  MPI_Allreduce(MPI_IN_PLACE, p.nu_total_min.data(), ny, MPI_DOUBLE, MPI_MIN, nse.comm());
  return p;
}

std::vector<double> eddy_viscosity(ChannelNSE& nse, const cvec& x) {
  if (!nse.les()) return {};
  return nse.evaluate_sgs(x).nu_t;
}

}  // namespace iff::solvers
