#include "spectral/velocity_gradient.hpp"

#include <fftw3.h>

#include <cmath>
#include <complex>

#include "io/error.hpp"
#include "spectral/chebyshev.hpp"

namespace iff::spectral {

struct VelocityGradient::Plans {
  // 1-D r2c/c2r along x and along z, and the Chebyshev transform in y
  std::vector<double> line_x, line_z;
  std::vector<std::complex<double>> spec_x, spec_z;
  fftw_plan fx = nullptr, bx = nullptr, fz = nullptr, bz = nullptr;
  ChebyshevTransform cheb;
  explicit Plans(int nx, int ny, int nz)
      : line_x(nx), line_z(nz), spec_x(nx / 2 + 1), spec_z(nz / 2 + 1), cheb(ny) {
    auto* sx = reinterpret_cast<fftw_complex*>(spec_x.data());
    auto* sz = reinterpret_cast<fftw_complex*>(spec_z.data());
    fx = fftw_plan_dft_r2c_1d(nx, line_x.data(), sx, FFTW_ESTIMATE);
    bx = fftw_plan_dft_c2r_1d(nx, sx, line_x.data(), FFTW_ESTIMATE);
    fz = fftw_plan_dft_r2c_1d(nz, line_z.data(), sz, FFTW_ESTIMATE);
    bz = fftw_plan_dft_c2r_1d(nz, sz, line_z.data(), FFTW_ESTIMATE);
  }
  ~Plans() {
    for (auto p : {fx, bx, fz, bz})
      if (p) fftw_destroy_plan(p);
  }
};

VelocityGradient::VelocityGradient(int nx, int ny, int nz, double lx, double lz)
    : nx_(nx), ny_(ny), nz_(nz), lx_(lx), lz_(lz) {
  IFF_CHECK(nx >= 2 && ny >= 3 && nz >= 2, "velocity gradient needs at least 2x3x2 points");
  plans_ = new Plans(nx, ny, nz);
}

VelocityGradient::~VelocityGradient() { delete plans_; }

// d/dx (axis 0) or d/dz (axis 2) of one scalar field f[nx][ny][nz] (stride 1 between
// points, `u` and `du` hold one component each, packed).
void VelocityGradient::derivative_periodic(const double* u, double* du, int axis) const {
  Plans& p = *plans_;
  const int n = axis == 0 ? nx_ : nz_;
  const double L = axis == 0 ? lx_ : lz_;
  auto& line = axis == 0 ? p.line_x : p.line_z;
  auto& spec = axis == 0 ? p.spec_x : p.spec_z;
  const fftw_plan f = axis == 0 ? p.fx : p.fz, b = axis == 0 ? p.bx : p.bz;
  const int lines_a = axis == 0 ? ny_ : nx_;  // loops over the two other axes
  const int lines_b = axis == 0 ? nz_ : ny_;
  for (int a = 0; a < lines_a; ++a)
    for (int c = 0; c < lines_b; ++c) {
      auto index = [&](int m) -> std::size_t {
        return axis == 0 ? (static_cast<std::size_t>(m) * ny_ + a) * nz_ + c
                         : (static_cast<std::size_t>(a) * ny_ + c) * nz_ + m;
      };
      for (int m = 0; m < n; ++m) line[m] = u[index(m)];
      fftw_execute(f);
      for (int k = 0; k <= n / 2; ++k) {
        const double kk = 2 * M_PI * k / L;
        spec[k] = (2 * k == n) ? 0.0 : std::complex<double>(0.0, kk) * spec[k] / double(n);
      }
      fftw_execute(b);
      for (int m = 0; m < n; ++m) du[index(m)] = line[m];
    }
}

void VelocityGradient::derivative_y(const double* u, double* du) const {
  std::vector<double> a(ny_), d(ny_);
  for (int i = 0; i < nx_; ++i)
    for (int k = 0; k < nz_; ++k) {
      // ascending y -> the Chebyshev order (descending, y_0 = +1)
      for (int j = 0; j < ny_; ++j) a[j] = u[(static_cast<std::size_t>(i) * ny_ + (ny_ - 1 - j)) * nz_ + k];
      plans_->cheb.to_coefficients(a.data());
      chebyshev_derivative(a.data(), d.data(), ny_);
      plans_->cheb.to_values(d.data());
      for (int j = 0; j < ny_; ++j) du[(static_cast<std::size_t>(i) * ny_ + (ny_ - 1 - j)) * nz_ + k] = d[j];
    }
}

void VelocityGradient::gradient(const double* u, std::vector<double>& grad) const {
  const std::size_t np = static_cast<std::size_t>(nx_) * ny_ * nz_;
  grad.assign(np * 9, 0.0);
  std::vector<double> f(np), df(np);
  for (int i = 0; i < 3; ++i) {
    for (std::size_t p = 0; p < np; ++p) f[p] = u[3 * p + i];
    derivative_periodic(f.data(), df.data(), 0);
    for (std::size_t p = 0; p < np; ++p) grad[9 * p + 3 * i + 0] = df[p];
    derivative_y(f.data(), df.data());
    for (std::size_t p = 0; p < np; ++p) grad[9 * p + 3 * i + 1] = df[p];
    derivative_periodic(f.data(), df.data(), 2);
    for (std::size_t p = 0; p < np; ++p) grad[9 * p + 3 * i + 2] = df[p];
  }
}

void VelocityGradient::vorticity_and_q(const double* u, std::vector<double>& vorticity, std::vector<double>& q) const {
  std::vector<double> g;
  gradient(u, g);
  const std::size_t np = g.size() / 9;
  vorticity.assign(np * 3, 0.0);
  q.assign(np, 0.0);
  for (std::size_t p = 0; p < np; ++p) {
    const double* G = &g[9 * p];  // G[3 i + j] = du_i/dx_j
    vorticity[3 * p + 0] = G[3 * 2 + 1] - G[3 * 1 + 2];
    vorticity[3 * p + 1] = G[3 * 0 + 2] - G[3 * 2 + 0];
    vorticity[3 * p + 2] = G[3 * 1 + 0] - G[3 * 0 + 1];
    double s2 = 0, o2 = 0;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        const double s = 0.5 * (G[3 * i + j] + G[3 * j + i]), o = 0.5 * (G[3 * i + j] - G[3 * j + i]);
        s2 += s * s;
        o2 += o * o;
      }
    q[p] = 0.5 * (o2 - s2);
  }
}

}  // namespace iff::spectral
