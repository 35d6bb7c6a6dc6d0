#include "solvers/initial_conditions.hpp"

#include <cmath>
#include <random>

#include "io/error.hpp"
#include "solvers/channel_diagnostics.hpp"

namespace iff::solvers {

cvec laminar_state(const ChannelNSE& nse, double u_centre) {
  cvec x(nse.state_size(), 0.0);
  if (nse.m0() == 0 && nse.nm_local() > 0) {  // 1 - y² = T0/2 - T2/2
    x[nse.index(0, 0, 0)] = 0.5 * u_centre;
    x[nse.index(0, 0, 2)] = -0.5 * u_centre;
  }
  return x;
}

void add_random_perturbation(const ChannelNSE& nse, cvec& x, double amplitude, std::uint64_t seed) {
  const auto& g = nse.grid();
  const int ny = g.ny;
  const int degree = std::min(ny - 6, 12);
  IFF_REQUIRE(degree >= 1, "random perturbation needs ny >= 7");
  const auto y = spectral::chebyshev_points(ny);
  spectral::ChebyshevTransform ct(ny);
  cvec p(nse.state_size(), 0.0);
  std::vector<cplx> v(ny), e(ny);
  for (int ml = 0; ml < nse.nm_local(); ++ml) {
    const int m = nse.m0() + ml;
    if (m == 0 || g.is_nyquist(m)) continue;
    const int i = g.ikx(m), j = g.signed_kz(g.jkz(m));
    // kx = 0: the mode (0, -j) is the conjugate of (0, j); both draw from (0, |j|)'s generator
    const bool conj = (i == 0 && j < 0);
    const int gm = conj ? g.conjugate_slot(m) : m;
    std::mt19937_64 rng(seed * 1000003ULL + std::uint64_t(gm));
    std::normal_distribution<double> nd;
    std::vector<cplx> pc(degree + 1), qc(degree + 1);
    for (auto& c : pc) c = cplx(nd(rng), nd(rng));
    for (auto& c : qc) c = cplx(nd(rng), nd(rng));
    const double env = 1.0 / (1.0 + double(i) * i + double(j) * j);
    for (int k = 0; k < ny; ++k) {
      const double s = 1.0 - y[k] * y[k];
      v[k] = env * s * s * spectral::chebyshev_eval(pc.data(), degree + 1, y[k]);
      e[k] = env * s * spectral::chebyshev_eval(qc.data(), degree + 1, y[k]);
      if (conj) v[k] = std::conj(v[k]), e[k] = std::conj(e[k]);
    }
    ct.to_coefficients(v.data());
    ct.to_coefficients(e.data());
    for (int k = 0; k < ny; ++k) p[nse.index(ml, 0, k)] = v[k], p[nse.index(ml, 1, k)] = e[k];
  }
  const double e2 = 2.0 * fluctuation_energy(nse, p);  // <|u'|²>
  IFF_CHECK(e2 > 0.0, "random perturbation has no energy (grid too small?)");
  const double s = amplitude / std::sqrt(e2);
  for (std::size_t q = 0; q < x.size(); ++q) x[q] += s * p[q];
}

void add_orr_sommerfeld_mode(const ChannelNSE& nse, cvec& x, const OrrSommerfeldMode& mode, double amplitude) {
  const auto& g = nse.grid();
  IFF_REQUIRE(int(mode.v.size()) == g.ny, "Orr-Sommerfeld mode has " << mode.v.size() << " points, grid has " << g.ny);
  IFF_REQUIRE(g.nkx() >= 2, "Orr-Sommerfeld initial condition needs nx >= 4");
  std::vector<cplx> v(mode.v);
  spectral::ChebyshevTransform(g.ny).to_coefficients(v.data());
  const int m = g.mode(1, 0);  // kx = 2π/lx, kz = 0
  const int ml = m - nse.m0();
  if (ml < 0 || ml >= nse.nm_local()) return;
  for (int k = 0; k < g.ny; ++k) x[nse.index(ml, 0, k)] += amplitude * v[k];
}

double add_stokes_mode(const ChannelNSE& nse, cvec& x, int n, double amplitude) {
  const auto& g = nse.grid();
  IFF_REQUIRE(n >= 1, "Stokes mode number must be >= 1, got " << n);
  IFF_REQUIRE(g.nkx() >= 2, "Stokes-mode initial condition needs nx >= 4");
  const double a = 2.0 * M_PI / g.lx;
  const bool even = n % 2 == 1;
  auto f = [&](double k) {
    return even ? k * std::sin(k) + a * std::tanh(a) * std::cos(k) : k * std::cos(k) - a / std::tanh(a) * std::sin(k);
  };
  double lo = n * M_PI / 2 + 1e-12, hi = (n + 1) * M_PI / 2 - 1e-12;
  IFF_CHECK(f(lo) * f(hi) < 0, "no Stokes root bracketed for mode " << n);
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    (f(lo) * f(mid) <= 0 ? hi : lo) = mid;
  }
  const double k = 0.5 * (lo + hi);
  const auto y = spectral::chebyshev_points(g.ny);
  std::vector<cplx> v(g.ny);
  for (int j = 0; j < g.ny; ++j)
    v[j] = amplitude * (even ? std::cos(k * y[j]) / std::cos(k) - std::cosh(a * y[j]) / std::cosh(a)
                             : std::sin(k * y[j]) / std::sin(k) - std::sinh(a * y[j]) / std::sinh(a));
  spectral::ChebyshevTransform(g.ny).to_coefficients(v.data());
  const int ml = g.mode(1, 0) - nse.m0();  // mode (kx = α, kz = 0)
  if (ml >= 0 && ml < nse.nm_local())
    for (int j = 0; j < g.ny; ++j) x[nse.index(ml, 0, j)] += v[j];
  return k;
}

void state_from_physical(const ChannelNSE& nse, const std::vector<double>& field, int snx, int sny, int snz,
                         cvec& x) {
  const auto& g = nse.grid();
  int rank = 0;
  MPI_Comm_rank(nse.comm(), &rank);
  const int ny = g.ny;
  std::vector<cplx> all(std::size_t(g.nmodes()) * ny * 3, 0.0);
  if (rank == 0) {
    IFF_REQUIRE(field.size() == std::size_t(snx) * sny * snz * 3,
                "field has " << field.size() << " values, expected " << snx << "x" << sny << "x" << snz << "x3");
    IFF_REQUIRE(snx % 2 == 0 && snz % 2 == 0 && sny >= 3, "source grid must have even nx, nz and ny >= 3");
    const int sxh = snx / 2 + 1;
    std::vector<double> re(std::size_t(snz) * snx);
    std::vector<cplx> pl(std::size_t(snz) * sxh);
    fftw_plan plan = fftw_plan_dft_r2c_2d(snz, snx, re.data(), reinterpret_cast<fftw_complex*>(pl.data()),
                                          FFTW_ESTIMATE);
    // source modes kept: |i| < min(nx, snx)/2, |j| < min(nz, snz)/2; values per source y
    std::vector<cplx> src(std::size_t(g.nmodes()) * sny * 3, 0.0);
    const double scale = 1.0 / (double(snx) * snz);
    for (int yy = 0; yy < sny; ++yy)
      for (int c = 0; c < 3; ++c) {
        for (int iz = 0; iz < snz; ++iz)
          for (int ix = 0; ix < snx; ++ix) re[iz * snx + ix] = field[((std::size_t(ix) * sny + (sny - 1 - yy)) * snz + iz) * 3 + c];
        fftw_execute(plan);
        for (int m = 0; m < g.nmodes(); ++m) {
          if (g.is_nyquist(m)) continue;
          const int i = g.ikx(m), j = g.signed_kz(g.jkz(m));
          if (i >= snx / 2 || std::abs(j) >= snz / 2) continue;
          src[(std::size_t(m) * sny + yy) * 3 + c] = pl[(j >= 0 ? j : snz + j) * sxh + i] * scale;
        }
      }
    fftw_destroy_plan(plan);
    spectral::ChebyshevTransform ct(sny);
    std::vector<cplx> f(sny);
    for (int m = 0; m < g.nmodes(); ++m)
      for (int c = 0; c < 3; ++c) {
        for (int k = 0; k < sny; ++k) f[k] = src[(std::size_t(m) * sny + k) * 3 + c];
        ct.to_coefficients(f.data());
        for (int k = 0; k < std::min(sny, ny); ++k) all[(std::size_t(m) * ny + k) * 3 + c] = f[k];
      }
  }
  MPI_Bcast(all.data(), int(all.size() * 2), MPI_DOUBLE, 0, nse.comm());
  nse.state_from_velocity(all.data() + std::size_t(nse.m0()) * ny * 3, x);
}

}  // namespace iff::solvers
