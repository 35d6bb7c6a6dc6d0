#include "solvers/channel_diagnostics.hpp"

#include <algorithm>
#include <cmath>

namespace iff::solvers {

namespace {
const cplx I(0.0, 1.0);

// Whether this rank holds the mean mode kx = kz = 0 (global mode 0)
bool holds_mean(const ChannelNSE& nse) { return nse.m0() == 0 && nse.nm_local() > 0; }
}  // namespace

double bulk_velocity(const ChannelNSE& nse, const cvec& x) {
  const int ny = nse.grid().ny;
  double ub = holds_mean(nse) ? 0.5 * spectral::chebyshev_integral(&x[nse.index(0, 0, 0)], ny).real() : 0.0;
  MPI_Allreduce(MPI_IN_PLACE, &ub, 1, MPI_DOUBLE, MPI_SUM, nse.comm());
  return ub;
}

double wall_shear(const ChannelNSE& nse, const cvec& x) {
  const int ny = nse.grid().ny;
  double tau = 0.0;
  if (holds_mean(nse)) {
    const cplx* U = &x[nse.index(0, 0, 0)];
    tau = nse.physics().nu * 0.5 * (spectral::chebyshev_slope_bottom(U, ny).real() - spectral::chebyshev_slope_top(U, ny).real());
  }
  MPI_Allreduce(MPI_IN_PLACE, &tau, 1, MPI_DOUBLE, MPI_SUM, nse.comm());
  return tau;
}

double mode_energy(const ChannelNSE& nse, const cvec& x, int m) {
  const int ny = nse.grid().ny, nml = nse.nm_local();
  const std::vector<double>& wcc = nse.quadrature_weights();
  const int ml = m - nse.m0();
  if (ml < 0 || ml >= nml) return 0.0;
  std::vector<cplx> uvw(std::size_t(nml) * ny * 3);
  nse.velocity_coefficients(x, uvw.data());
  spectral::ChebyshevTransform ct(ny);
  double e = 0.0;
  std::vector<cplx> f(ny);
  for (int c = 0; c < 3; ++c) {
    for (int k = 0; k < ny; ++k) f[k] = uvw[(std::size_t(ml) * ny + k) * 3 + c];
    ct.to_values(f.data());
    for (int j = 0; j < ny; ++j) e += wcc[j] * std::norm(f[j]);
  }
  return e;
}

double fluctuation_energy(const ChannelNSE& nse, const cvec& x) {
  const spectral::ChannelGrid& g = nse.grid();
  const int ny = g.ny, m0 = nse.m0(), nml = nse.nm_local();
  const std::vector<double>& wcc = nse.quadrature_weights();
  std::vector<cplx> uvw(std::size_t(nml) * ny * 3);
  nse.velocity_coefficients(x, uvw.data());
  spectral::ChebyshevTransform ct(ny);
  std::vector<cplx> f(ny);
  double e = 0.0;
  for (int ml = 0; ml < nml; ++ml) {
    const int m = m0 + ml;
    if (m == 0 || g.is_nyquist(m)) continue;
    const double weight = g.ikx(m) > 0 ? 2.0 : 1.0;
    for (int c = 0; c < 3; ++c) {
      for (int k = 0; k < ny; ++k) f[k] = uvw[(std::size_t(ml) * ny + k) * 3 + c];
      ct.to_values(f.data());
      for (int j = 0; j < ny; ++j) e += weight * wcc[j] * std::norm(f[j]);
    }
  }
  e *= 0.25;
  MPI_Allreduce(MPI_IN_PLACE, &e, 1, MPI_DOUBLE, MPI_SUM, nse.comm());
  return e;
}

double max_divergence(ChannelNSE& nse, const cvec& x) {
  const spectral::ChannelGrid& g = nse.grid();
  const int ny = g.ny, m0 = nse.m0(), nml = nse.nm_local();
  spectral::ChannelTransform& tr = nse.transform();
  std::vector<cplx> uvw(std::size_t(nml) * ny * 3), dv(ny), v(ny);
  nse.velocity_coefficients(x, uvw.data());
  cplx* S = tr.spec();
  for (int ml = 0; ml < nml; ++ml) {
    const int m = m0 + ml;
    const cplx* o = uvw.data() + std::size_t(ml) * ny * 3;
    for (int k = 0; k < ny; ++k) v[k] = o[3 * k + 1];
    spectral::chebyshev_derivative(v.data(), dv.data(), ny);
    const double kx = g.kx(m), kz = g.kz(m);
    for (int k = 0; k < ny; ++k) S[std::size_t(ml) * ny + k] = I * (kx * o[3 * k] + kz * o[3 * k + 2]) + dv[k];
  }
  tr.to_physical(1);
  double mx = 0.0;
  const double* p = tr.phys(0);
  for (std::size_t q = 0, e = tr.phys_plane() * tr.ny_local(); q < e; ++q) mx = std::max(mx, std::abs(p[q]));
  MPI_Allreduce(MPI_IN_PLACE, &mx, 1, MPI_DOUBLE, MPI_MAX, nse.comm());
  return mx;
}

std::vector<double> gather_velocity(const ChannelNSE& nse, const cvec& x) {
  const spectral::ChannelGrid& g = nse.grid();
  const int ny = g.ny, nml = nse.nm_local();
  const MPI_Comm comm = nse.comm();
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  std::vector<cplx> uvw(std::size_t(nml) * ny * 3);
  nse.velocity_coefficients(x, uvw.data());
  spectral::ChebyshevTransform ct(ny);
  std::vector<cplx> f(ny);
  for (int ml = 0; ml < nml; ++ml)
    for (int c = 0; c < 3; ++c) {
      for (int k = 0; k < ny; ++k) f[k] = uvw[(std::size_t(ml) * ny + k) * 3 + c];
      ct.to_values(f.data());
      for (int k = 0; k < ny; ++k) uvw[(std::size_t(ml) * ny + k) * 3 + c] = f[k];
    }
  const int mine = nml * ny * 3 * 2;
  std::vector<int> counts(size), displs(size);
  MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm);
  std::vector<cplx> all;
  if (rank == 0) {
    for (int r = 1; r < size; ++r) displs[r] = displs[r - 1] + counts[r - 1];
    all.resize(std::size_t(g.nmodes()) * ny * 3);
  }
  MPI_Gatherv(uvw.data(), mine, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, 0, comm);
  std::vector<double> out;
  if (rank != 0) return out;
  const int nx = g.nx, nz = g.nz, nxh = nx / 2 + 1;
  out.assign(std::size_t(nx) * ny * nz * 3, 0.0);
  fftw_complex* plane = fftw_alloc_complex(std::size_t(nz) * nxh);
  double* real = fftw_alloc_real(std::size_t(nz) * nx);
  fftw_plan plan = fftw_plan_dft_c2r_2d(nz, nx, plane, real, FFTW_ESTIMATE);
  auto* pl = reinterpret_cast<cplx*>(plane);
  for (int y = 0; y < ny; ++y)
    for (int c = 0; c < 3; ++c) {
      for (int q = 0; q < nz * nxh; ++q) pl[q] = 0.0;
      for (int m = 0; m < g.nmodes(); ++m) {
        if (g.is_nyquist(m)) continue;
        const int sk = g.signed_kz(g.jkz(m));
        pl[(sk >= 0 ? sk : nz + sk) * nxh + g.ikx(m)] = all[(std::size_t(m) * ny + y) * 3 + c];
      }
      fftw_execute(plan);
      for (int iz = 0; iz < nz; ++iz)
        for (int ix = 0; ix < nx; ++ix) out[((std::size_t(ix) * ny + (ny - 1 - y)) * nz + iz) * 3 + c] = real[iz * nx + ix];
    }
  fftw_destroy_plan(plan);
  fftw_free(plane);
  fftw_free(real);
  return out;
}

bool finite(const ChannelNSE& nse, const cvec& x) {
  int ok = 1;
  for (const auto& c : x)
    if (!std::isfinite(c.real()) || !std::isfinite(c.imag())) {
      ok = 0;
      break;
    }
  MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, nse.comm());
  return ok == 1;
}

}  // namespace iff::solvers
