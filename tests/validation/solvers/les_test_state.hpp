// A turbulent-like Re_tau = 180 channel state on an LES grid, cheap to make: Reichardt's
// mean profile U+(y+) = ln(1 + κ y+)/κ + 7.8 (1 − e^(−y+/11) − (y+/11) e^(−y+/3)), κ = 0.41
// (Reichardt 1951), y+ = (1 − |y|) Re_tau, plus a divergence-free random perturbation of
// rms `amplitude` (add_random_perturbation). Wall units (h, u_τ): ν = 1/Re_tau.
#pragma once

#include <mpi.h>

#include <algorithm>
#include <cmath>

#include "solvers/initial_conditions.hpp"

namespace iff::test {

inline double reichardt_u_plus(double y_plus) {
  const double k = 0.41;
  return std::log(1 + k * y_plus) / k + 7.8 * (1 - std::exp(-y_plus / 11) - y_plus / 11 * std::exp(-y_plus / 3));
}

inline solvers::cvec turbulent_like_state(const solvers::ChannelNSE& nse, double re_tau, double amplitude,
                                          std::uint64_t seed) {
  const auto& g = nse.grid();
  int rank = 0;
  MPI_Comm_rank(nse.comm(), &rank);
  std::vector<double> field;
  if (rank == 0) {
    auto y = g.y();
    std::reverse(y.begin(), y.end());
    field.assign(std::size_t(g.nx) * g.ny * g.nz * 3, 0.0);
    for (int i = 0; i < g.nx; ++i)
      for (int j = 0; j < g.ny; ++j)
        for (int k = 0; k < g.nz; ++k)
          field[((std::size_t(i) * g.ny + j) * g.nz + k) * 3] = reichardt_u_plus((1 - std::abs(y[j])) * re_tau);
  }
  solvers::cvec x;
  solvers::state_from_physical(nse, field, g.nx, g.ny, g.nz, x);
  solvers::add_random_perturbation(nse, x, amplitude, seed);
  return x;
}

}  // namespace iff::test
