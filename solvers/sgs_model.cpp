#include "solvers/sgs_model.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>

#include "io/config.hpp"
#include "io/error.hpp"

namespace iff::solvers {

// ------------------------------------------------------------------------------ keys

SgsParams SgsParams::from(const ConfigSection& s) {
  SgsParams p;
  p.model = s.get_enum("model", p.model, kSgsModelKindNames, "LES closure: none (DNS), smagorinsky (with van Driest damping), dsm (dynamic Smagorinsky, Germano-Lilly, plane-averaged) or wale");
  p.cs = s.get_in<double>("cs", p.cs, 0.0, 10.0, "Smagorinsky constant C_s (sgs.model smagorinsky)");
  p.cw = s.get_in<double>("cw", p.cw, 0.0, 10.0, "WALE constant C_w (sgs.model wale)");
  p.van_driest_a_plus = s.get_in<double>("van_driest_a_plus", p.van_driest_a_plus, 0.0, 1e6, "A+ of the van Driest damping 1 - exp(-y+/A+) of the Smagorinsky length (0: off)");
  p.filter_width = s.get_enum("filter_width", p.filter_width, kFilterWidthNames, "LES filter width: cube_root (dx dy(y) dz)^(1/3), dy the local Gauss-Lobatto spacing, or wall_parallel (dx dz)^(1/2)");
  p.dsm_test_filter = s.section("dsm").get_enum("test_filter", p.dsm_test_filter, kTestFilterKindNames, "dsm test filter in x-z: sharp (keeps |k| below half the grid cut-off) or box (top-hat of twice the grid spacing)");
  return p;
}

// ------------------------------------------------------------------------------ filter width

std::vector<double> les_filter_width(const spectral::ChannelGrid& g, FilterWidth w) {
  const int M = g.ny - 1;
  const double dx = g.lx / g.nx, dz = g.lz / g.nz;
  std::vector<double> d(g.ny);
  for (int j = 0; j < g.ny; ++j) {
    if (w == FilterWidth::wall_parallel) {
      d[j] = std::sqrt(dx * dz);
    } else {
      // (y_{j-1} - y_{j+1})/2 = sin(π/M) sin(π j/M); exactly 0 at both walls
      const double dy = std::sin(M_PI / M) * std::sin(M_PI * std::min(j, M - j) / M);
      d[j] = std::cbrt(dx * dy * dz);
    }
  }
  return d;
}

double test_filter_width_ratio_squared(FilterWidth w) {
  // Δ̂ = (2Δx Δy 2Δz)^(1/3) = 4^(1/3) Δ, or (2Δx 2Δz)^(1/2) = 2Δ
  return w == FilterWidth::cube_root ? std::pow(4.0, 2.0 / 3.0) : 4.0;
}

// ------------------------------------------------------------------------------ pointwise kernels

void ResolvedFields::gradient(std::size_t q, double g[9]) const {
  const double s11 = s[0][q], s22 = s[1][q], s12 = s[2][q], s13 = s[3][q], s23 = s[4][q];
  const double o1 = omega[0][q], o2 = omega[1][q], o3 = omega[2][q];
  g[0] = s11, g[4] = s22, g[8] = -s11 - s22;
  g[1] = s12 - 0.5 * o3, g[3] = s12 + 0.5 * o3;
  g[2] = s13 + 0.5 * o2, g[6] = s13 - 0.5 * o2;
  g[5] = s23 - 0.5 * o1, g[7] = s23 + 0.5 * o1;
}

namespace {
/// S_ij S_ij of the symmetric part of g.
double strain_squared(const double g[9]) {
  double ss = 0.0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      const double s = 0.5 * (g[3 * i + j] + g[3 * j + i]);
      ss += s * s;
    }
  return ss;
}
/// S_ij S_ij from the five independent components (S33 = -S11 - S22).
inline double strain_squared5(double s11, double s22, double s12, double s13, double s23) {
  const double s33 = -s11 - s22;
  return s11 * s11 + s22 * s22 + s33 * s33 + 2.0 * (s12 * s12 + s13 * s13 + s23 * s23);
}
}  // namespace

double strain_rate_magnitude(const double g[9]) { return std::sqrt(2.0 * strain_squared(g)); }

double wale_operator(const double g[9]) {
  double g2[9];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      g2[3 * i + j] = g[3 * i + 0] * g[0 + j] + g[3 * i + 1] * g[3 + j] + g[3 * i + 2] * g[6 + j];
  const double tr = (g2[0] + g2[4] + g2[8]) / 3.0;
  double sdsd = 0.0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      const double sd = 0.5 * (g2[3 * i + j] + g2[3 * j + i]) - (i == j ? tr : 0.0);
      sdsd += sd * sd;
    }
  const double ss = strain_squared(g);
  // (S^d:S^d)^(3/2) / ((S:S)^(5/2) + (S^d:S^d)^(5/4)), powers through square roots
  const double r = std::sqrt(sdsd), rr = std::sqrt(r);
  const double den = ss * ss * std::sqrt(ss) + sdsd * rr;
  return den > 0.0 ? sdsd * r / den : 0.0;
}

double van_driest_damping(double y_plus, double a_plus) {
  return a_plus > 0.0 ? 1.0 - std::exp(-y_plus / a_plus) : 1.0;
}

// ------------------------------------------------------------------------------ models

SgsModel::SgsModel(const SgsParams& p, const SgsGeometry& geo)
    : p_(p), geo_(geo), delta_(les_filter_width(geo.grid, p.filter_width)), y_(geo.grid.y()) {
  geo_.grid.validate();
  IFF_REQUIRE(geo.nu > 0.0, "SGS model: viscosity must be positive, got " << geo.nu);
  IFF_REQUIRE(geo.y0 >= 0 && geo.ny_local >= 0 && geo.y0 + geo.ny_local <= geo.grid.ny,
              "SGS model: planes " << geo.y0 << ".." << geo.y0 + geo.ny_local << " outside ny = " << geo.grid.ny);
}

void NoSgsModel::eddy_viscosity(const ResolvedFields&, double* nu_t, double* coeff) {
  std::fill(nu_t, nu_t + geo_.plane() * geo_.ny_local, 0.0);
  std::fill(coeff, coeff + geo_.ny_local, 0.0);
}

void SmagorinskyModel::eddy_viscosity(const ResolvedFields& f, double* nu_t, double* coeff) {
  const std::size_t P = geo_.plane();
  for (int jl = 0; jl < geo_.ny_local; ++jl) {
    const int J = geo_.y0 + jl;
    const double y_plus = (1.0 - std::abs(y_[J])) * f.u_tau / geo_.nu;
    const double c = std::pow(p_.cs * van_driest_damping(y_plus, p_.van_driest_a_plus), 2);
    const double cd2 = c * delta_[J] * delta_[J];
    coeff[jl] = c;
    for (std::size_t q = jl * P, e = (jl + 1) * P; q < e; ++q) {
      const double ss = strain_squared5(f.s[0][q], f.s[1][q], f.s[2][q], f.s[3][q], f.s[4][q]);
      nu_t[q] = cd2 * std::sqrt(2.0 * ss);
    }
  }
}

void WaleModel::eddy_viscosity(const ResolvedFields& f, double* nu_t, double* coeff) {
  const std::size_t P = geo_.plane();
  const double c = p_.cw * p_.cw;
  double g[9];
  for (int jl = 0; jl < geo_.ny_local; ++jl) {
    const int J = geo_.y0 + jl;
    const double cd2 = c * delta_[J] * delta_[J];
    coeff[jl] = c;
    for (std::size_t q = jl * P, e = (jl + 1) * P; q < e; ++q) {
      f.gradient(q, g);
      nu_t[q] = cd2 * wale_operator(g);
    }
  }
}

// ------------------------------------------------------------------------------ test filter

TestFilter::TestFilter(const spectral::ChannelGrid& g, int n_planes, TestFilterKind kind)
    : g_(g), n_planes_(n_planes), kind_(kind) {
  const int nxp = g.nxp(), nzp = g.nzp(), nxh = nxp / 2 + 1;
  // the sharp filter keeps kx indices i < nx/4 only: the z transforms run on those columns
  ncols_ = kind == TestFilterKind::sharp ? std::min(nxh, (g.nx + 3) / 4) : nxh;
  gain_.resize(std::size_t(nzp) * ncols_);
  const double norm = 1.0 / (double(nxp) * nzp);
  for (int r = 0; r < nzp; ++r)
    for (int i = 0; i < ncols_; ++i) gain_[std::size_t(r) * ncols_ + i] = norm * transfer(i, r <= nzp / 2 ? r : r - nzp);
  if (n_planes_ <= 0) return;
  const int rows = n_planes_ * nzp;
  real_ = fftw_alloc_real(std::size_t(rows) * nxp);
  auto* spec = fftw_alloc_complex(std::size_t(rows) * nxh);
  spec_ = spec;
  // x: real <-> half-complex on every row; z: complex FFT of the kept kx columns, in place
  xf_ = fftw_plan_many_dft_r2c(1, &nxp, rows, real_, nullptr, 1, nxp, spec, nullptr, 1, nxh, FFTW_ESTIMATE);
  xb_ = fftw_plan_many_dft_c2r(1, &nxp, rows, spec, nullptr, 1, nxh, real_, nullptr, 1, nxp, FFTW_ESTIMATE);
  fftw_iodim zdim{nzp, nxh, nxh};
  fftw_iodim loops[2] = {{n_planes_, nzp * nxh, nzp * nxh}, {ncols_, 1, 1}};
  zf_ = fftw_plan_guru_dft(1, &zdim, 2, loops, spec, spec, FFTW_FORWARD, FFTW_ESTIMATE);
  zb_ = fftw_plan_guru_dft(1, &zdim, 2, loops, spec, spec, FFTW_BACKWARD, FFTW_ESTIMATE);
  IFF_CHECK(xf_ && xb_ && zf_ && zb_, "FFTW could not plan the DSM test filter");
}

TestFilter::~TestFilter() {
  for (void* p : {xf_, xb_, zf_, zb_})
    if (p) fftw_destroy_plan(static_cast<fftw_plan>(p));
  if (real_) fftw_free(real_);
  if (spec_) fftw_free(spec_);
}

double TestFilter::transfer(int i, int j) const {
  if (kind_ == TestFilterKind::sharp) {
    // half the resolved cut-off: |kx| < (nx/4) 2π/lx, |kz| < (nz/4) 2π/lz
    return (4 * std::abs(i) < g_.nx && 4 * std::abs(j) < g_.nz) ? 1.0 : 0.0;
  }
  // top-hat of width 2Δx (2Δz): sin(k Δx)/(k Δx) with k Δx = 2π i/nx
  auto sinc = [](double t) { return t == 0.0 ? 1.0 : std::sin(t) / t; };
  return sinc(2.0 * M_PI * i / g_.nx) * sinc(2.0 * M_PI * j / g_.nz);
}

void TestFilter::apply(double* f) const {
  if (n_planes_ <= 0) return;
  const std::size_t n = std::size_t(n_planes_) * g_.nzp() * g_.nxp();
  std::memcpy(real_, f, n * sizeof(double));
  apply_in_place();
  std::memcpy(f, real_, n * sizeof(double));
}

void TestFilter::apply_in_place() const {
  if (n_planes_ <= 0) return;
  const int nzp = g_.nzp(), nxh = g_.nxp() / 2 + 1;
  fftw_execute(static_cast<fftw_plan>(xf_));
  fftw_execute(static_cast<fftw_plan>(zf_));
  auto* s = static_cast<std::complex<double>*>(spec_);
  for (int p = 0; p < n_planes_; ++p)
    for (int r = 0; r < nzp; ++r) {
      std::complex<double>* row = s + (std::size_t(p) * nzp + r) * nxh;
      const double* gain = &gain_[std::size_t(r) * ncols_];
      for (int i = 0; i < ncols_; ++i) row[i] *= gain[i];
    }
  fftw_execute(static_cast<fftw_plan>(zb_));
  // columns beyond the kept ones are zero (every value is rewritten: c2r destroys its input)
  for (std::size_t q = 0, rows = std::size_t(n_planes_) * nzp; q < rows; ++q)
    for (int i = ncols_; i < nxh; ++i) s[q * nxh + i] = 0.0;
  fftw_execute(static_cast<fftw_plan>(xb_));
}

// ------------------------------------------------------------------------------ dynamic model

namespace {
constexpr int kDsmFields = 19;  // u_i (3), u_i u_j (6), S_ij (5), |S| S_ij (5)
}

DynamicSmagorinskyModel::DynamicSmagorinskyModel(const SgsParams& p, const SgsGeometry& geo)
    : SgsModel(p, geo),
      filter_(geo.grid, kDsmFields * geo.ny_local, p.dsm_test_filter),
      alpha2_(test_filter_width_ratio_squared(p.filter_width)) {
  abs_s_.resize(geo.plane() * geo.ny_local);
}

void DynamicSmagorinskyModel::eddy_viscosity(const ResolvedFields& f, double* nu_t, double* coeff) {
  const std::size_t P = geo_.plane(), N = P * geo_.ny_local;
  if (N == 0) return;
  // the 19 fields are the test filter's own buffer, filtered in one batch of 2-D FFTs
  double* F[kDsmFields];
  for (int k = 0; k < kDsmFields; ++k) F[k] = filter_.data() + k * N;
  double* absS = abs_s_.data();
  for (std::size_t q = 0; q < N; ++q) {
    const double u = f.u[0][q], v = f.u[1][q], w = f.u[2][q];
    const double s11 = f.s[0][q], s22 = f.s[1][q], s12 = f.s[2][q], s13 = f.s[3][q], s23 = f.s[4][q];
    const double a = std::sqrt(2.0 * strain_squared5(s11, s22, s12, s13, s23));
    F[0][q] = u, F[1][q] = v, F[2][q] = w;
    F[3][q] = u * u, F[4][q] = v * v, F[5][q] = w * w, F[6][q] = u * v, F[7][q] = u * w, F[8][q] = v * w;
    F[9][q] = s11, F[10][q] = s22, F[11][q] = s12, F[12][q] = s13, F[13][q] = s23;
    F[14][q] = a * s11, F[15][q] = a * s22, F[16][q] = a * s12, F[17][q] = a * s13, F[18][q] = a * s23;
    absS[q] = a;
  }
  filter_.apply_in_place();
  for (int jl = 0; jl < geo_.ny_local; ++jl) {
    const int J = geo_.y0 + jl;
    const double d2 = delta_[J] * delta_[J];
    double lm = 0.0, mm = 0.0;
    for (std::size_t q = jl * P, e = (jl + 1) * P; q < e; ++q) {
      const double u = F[0][q], v = F[1][q], w = F[2][q];
      // Germano identity: L_ij = (u_i u_j)^ - û_i û_j
      const double l11 = F[3][q] - u * u, l22 = F[4][q] - v * v, l33 = F[5][q] - w * w;
      const double l12 = F[6][q] - u * v, l13 = F[7][q] - u * w, l23 = F[8][q] - v * w;
      // M_ij = 2Δ²((|S| S_ij)^ - α² |Ŝ| Ŝ_ij), traceless
      const double t11 = F[9][q], t22 = F[10][q], t12 = F[11][q], t13 = F[12][q], t23 = F[13][q];
      const double at = alpha2_ * std::sqrt(2.0 * strain_squared5(t11, t22, t12, t13, t23));
      const double m11 = 2.0 * d2 * (F[14][q] - at * t11), m22 = 2.0 * d2 * (F[15][q] - at * t22);
      const double m33 = -m11 - m22;
      const double m12 = 2.0 * d2 * (F[16][q] - at * t12), m13 = 2.0 * d2 * (F[17][q] - at * t13);
      const double m23 = 2.0 * d2 * (F[18][q] - at * t23);
      lm += l11 * m11 + l22 * m22 + l33 * m33 + 2.0 * (l12 * m12 + l13 * m13 + l23 * m23);
      mm += m11 * m11 + m22 * m22 + m33 * m33 + 2.0 * (m12 * m12 + m13 * m13 + m23 * m23);
    }
    // Lilly's least squares over the plane: C = <L_ij M_ij> / <M_ij M_ij>
    const double c = mm > 0.0 ? lm / mm : 0.0;
    coeff[jl] = c;
    const double cd2 = c * d2, floor = -geo_.nu;  // clip: ν + ν_t >= 0
    for (std::size_t q = jl * P, e = (jl + 1) * P; q < e; ++q) nu_t[q] = std::max(cd2 * absS[q], floor);
  }
}

std::unique_ptr<SgsModel> make_sgs_model(const SgsParams& p, const SgsGeometry& geo) {
  switch (p.model) {
    case SgsModelKind::smagorinsky: return std::make_unique<SmagorinskyModel>(p, geo);
    case SgsModelKind::dsm: return std::make_unique<DynamicSmagorinskyModel>(p, geo);
    case SgsModelKind::wale: return std::make_unique<WaleModel>(p, geo);
    default: return std::make_unique<NoSgsModel>(p, geo);
  }
}

}  // namespace iff::solvers
