#include "solvers/channel_filter.hpp"

#include <fftw3.h>

#include <cmath>
#include <complex>

#include <fmt/format.h>

#include "io/error.hpp"
#include "spectral/chebyshev.hpp"

namespace iff::solvers {

std::string FilterSpec::describe() const {
  std::string s = fmt::format("x-z: {} low-pass onto {}x{} (|kx| < {}, |kz| < {} modes)", to_string(kind), NX, NZ,
                              NX / 2, NZ / 2);
  if (kind != FilterKind::sharp) s += fmt::format(", width ratio {}", width_ratio);
  s += fmt::format("; y: projection onto {} Chebyshev polynomials at the coarse Gauss-Lobatto points; from {}x{}x{}",
                   NY, nx, ny, nz);
  return s;
}

struct ChannelFilter::Impl {
  using cplx = std::complex<double>;
  int nx, ny, nz, NX, NY, NZ, nzh, NZh;
  std::vector<double> plane, cplane;  // fine and coarse x-z planes (real)
  std::vector<cplx> spec, cspec;      // their spectra [nx][nz/2+1], [NX][NZ/2+1]
  std::vector<double> gx, gz;         // transfer functions on the kept coarse modes
  fftw_plan fwd = nullptr, bwd = nullptr;
  std::unique_ptr<spectral::ChebyshevTransform> fine_y, coarse_y;

  ~Impl() {
    if (fwd) fftw_destroy_plan(fwd);
    if (bwd) fftw_destroy_plan(bwd);
  }
};

ChannelFilter::ChannelFilter(const FilterSpec& s) : spec_(s), impl_(std::make_unique<Impl>()) {
  IFF_REQUIRE(s.NX >= 2 && s.NY >= 2 && s.NZ >= 2, "coarse grid " << s.NX << "x" << s.NY << "x" << s.NZ << " too small");
  IFF_REQUIRE(s.NX <= s.nx && s.NY <= s.ny && s.NZ <= s.nz,
              "coarse grid " << s.NX << "x" << s.NY << "x" << s.NZ << " is finer than the series' " << s.nx << "x"
                             << s.ny << "x" << s.nz);
  IFF_REQUIRE(s.lx > 0 && s.lz > 0, "filter: box lengths must be positive");
  IFF_REQUIRE(s.width_ratio > 0, "filter width ratio must be positive, got " << s.width_ratio);
  Impl& m = *impl_;
  m.nx = s.nx, m.ny = s.ny, m.nz = s.nz, m.NX = s.NX, m.NY = s.NY, m.NZ = s.NZ;
  m.nzh = s.nz / 2 + 1, m.NZh = s.NZ / 2 + 1;
  m.plane.resize(static_cast<std::size_t>(m.nx) * m.nz);
  m.cplane.resize(static_cast<std::size_t>(m.NX) * m.NZ);
  m.spec.resize(static_cast<std::size_t>(m.nx) * m.nzh);
  m.cspec.resize(static_cast<std::size_t>(m.NX) * m.NZh);
  m.fwd = fftw_plan_dft_r2c_2d(m.nx, m.nz, m.plane.data(), reinterpret_cast<fftw_complex*>(m.spec.data()),
                               FFTW_ESTIMATE);
  m.bwd = fftw_plan_dft_c2r_2d(m.NX, m.NZ, reinterpret_cast<fftw_complex*>(m.cspec.data()), m.cplane.data(),
                               FFTW_ESTIMATE);
  auto transfer = [&](double k, double delta) {
    const double a = k * delta;
    switch (s.kind) {
      case FilterKind::sharp: return 1.0;
      case FilterKind::box: return a == 0 ? 1.0 : std::sin(a / 2) / (a / 2);
      case FilterKind::gaussian: return std::exp(-a * a / 24);
    }
    return 1.0;
  };
  const double dx = s.width_ratio * s.lx / s.NX, dz = s.width_ratio * s.lz / s.NZ;
  m.gx.resize(m.NX);
  for (int i = 0; i < m.NX; ++i) {
    const int kx = i <= m.NX / 2 ? i : i - m.NX;
    m.gx[i] = transfer(2 * M_PI * kx / s.lx, dx);
  }
  m.gz.resize(m.NZh);
  for (int k = 0; k < m.NZh; ++k) m.gz[k] = transfer(2 * M_PI * k / s.lz, dz);
  m.fine_y = std::make_unique<spectral::ChebyshevTransform>(m.ny);
  m.coarse_y = std::make_unique<spectral::ChebyshevTransform>(m.NY);
}

ChannelFilter::~ChannelFilter() = default;

void ChannelFilter::apply(const double* fine, double* coarse, int components) const {
  Impl& m = *impl_;
  // 1) x-z filter on every fine y plane: [NX][ny][NZ][c]
  std::vector<double> mid(static_cast<std::size_t>(m.NX) * m.ny * m.NZ * components);
  const double norm = 1.0 / (static_cast<double>(m.nx) * m.nz);
  for (int c = 0; c < components; ++c)
    for (int j = 0; j < m.ny; ++j) {
      for (int i = 0; i < m.nx; ++i)
        for (int k = 0; k < m.nz; ++k)
          m.plane[static_cast<std::size_t>(i) * m.nz + k] =
              fine[((static_cast<std::size_t>(i) * m.ny + j) * m.nz + k) * components + c];
      fftw_execute(m.fwd);
      std::fill(m.cspec.begin(), m.cspec.end(), Impl::cplx(0));
      for (int I = 0; I < m.NX; ++I) {
        const int kx = I <= m.NX / 2 ? I : I - m.NX;
        if (2 * std::abs(kx) >= m.NX) continue;  // coarse Nyquist dropped
        const int i = kx >= 0 ? kx : kx + m.nx;
        for (int K = 0; 2 * K < m.NZ; ++K)
          m.cspec[static_cast<std::size_t>(I) * m.NZh + K] =
              m.spec[static_cast<std::size_t>(i) * m.nzh + K] * (m.gx[I] * m.gz[K] * norm);
      }
      fftw_execute(m.bwd);  // c2r destroys cspec: it is refilled for every plane
      for (int I = 0; I < m.NX; ++I)
        for (int K = 0; K < m.NZ; ++K)
          mid[((static_cast<std::size_t>(I) * m.ny + j) * m.NZ + K) * components + c] =
              m.cplane[static_cast<std::size_t>(I) * m.NZ + K];
    }
  // 2) y: Chebyshev truncation to NY terms, evaluated at the coarse points
  std::vector<double> a(m.ny), b(m.NY);
  for (int c = 0; c < components; ++c)
    for (int I = 0; I < m.NX; ++I)
      for (int K = 0; K < m.NZ; ++K) {
        // ascending y (data contract) <-> descending (Chebyshev order, y_0 = +1)
        for (int j = 0; j < m.ny; ++j)
          a[j] = mid[((static_cast<std::size_t>(I) * m.ny + (m.ny - 1 - j)) * m.NZ + K) * components + c];
        m.fine_y->to_coefficients(a.data());
        for (int q = 0; q < m.NY; ++q) b[q] = a[q];
        m.coarse_y->to_values(b.data());
        for (int J = 0; J < m.NY; ++J)
          coarse[((static_cast<std::size_t>(I) * m.NY + (m.NY - 1 - J)) * m.NZ + K) * components + c] = b[J];
      }
}

}  // namespace iff::solvers
