#include "solvers/channel_flow.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "io/error.hpp"
#include "solvers/channel_diagnostics.hpp"

namespace iff::solvers {

namespace {
const cplx I(0.0, 1.0);

// Fields (slots) of the transform in one evaluation of the explicit terms. To physical space:
// u and ω (DNS), then the strain S (LES). Back to spectral space: H = u × ω in the slots of
// u; for an LES the stress τ_ij = 2 ν_t S_ij after it, or τ alone (sgs_force). S and τ hold
// their five independent components in the order 11, 22, 12, 13, 23 (S33 = −S11 − S22).
constexpr int kU = 0, kV = 1, kW = 2;                      // and H1, H2, H3 after the product
constexpr int kOmegaX = 3, kOmegaY = 4, kOmegaZ = 5;
constexpr int kS11 = 6, kS22 = 7, kS12 = 8, kS13 = 9, kS23 = 10;
constexpr int k11 = 0, k22 = 1, k12 = 2, k13 = 3, k23 = 4;  // offsets in a block of S or τ
constexpr int kDnsFields = 6;       // u, ω
constexpr int kLesFields = 11;      // u, ω, S
constexpr int kHFields = 3;         // H
constexpr int kLesStress = 3;       // τ after H
constexpr int kLesOutFields = 8;    // H, τ
constexpr int kForceStress = 0;     // sgs_force: τ alone
constexpr int kForceFields = 5;
}  // namespace

ChannelNSE::ChannelNSE(const spectral::ChannelGrid& g, const ChannelPhysics& phys, MPI_Comm comm, unsigned fftw_flags)
    : g_(g), ph_(phys), comm_(comm), tr_(g, comm, phys.sgs.active() ? kLesFields : kDnsFields, fftw_flags) {
  IFF_REQUIRE(phys.nu > 0.0 && std::isfinite(phys.nu), "viscosity must be positive, got " << phys.nu);
  ny_ = g_.ny;
  m0_ = tr_.m0();
  nml_ = tr_.nm_local();
  ygl_ = spectral::chebyshev_points(ny_);
  wcc_ = spectral::clenshaw_curtis_weights(ny_);
  inv_dy_.resize(ny_);
  for (int j = 0; j < ny_; ++j) {
    double d = std::numeric_limits<double>::max();
    if (j > 0) d = std::min(d, ygl_[j - 1] - ygl_[j]);
    if (j + 1 < ny_) d = std::min(d, ygl_[j] - ygl_[j + 1]);
    inv_dy_[j] = 1.0 / d;
  }
  ops_.resize(nml_);
  if (ph_.sgs.active()) {
    SgsGeometry geo;
    geo.grid = g_;
    geo.y0 = int(tr_.y0());
    geo.ny_local = int(tr_.ny_local());
    geo.nu = ph_.nu;
    sgs_ = make_sgs_model(ph_.sgs, geo);
  }
  forcing_ = ph_.driving == Driving::pressure_gradient ? ph_.pressure_gradient : 0.0;
}

void ChannelNSE::velocity_coefficients(const cvec& x, cplx* out) const {
  const int ny = ny_;
  std::vector<cplx> w(3 * ny);
  cplx* dv = w.data();
  for (int ml = 0; ml < nml_; ++ml) {
    const int m = m0_ + ml;
    const cplx* xv = &x[index(ml, 0, 0)];
    const cplx* xe = &x[index(ml, 1, 0)];
    cplx* o = out + std::size_t(ml) * ny * 3;
    if (m == 0) {
      for (int k = 0; k < ny; ++k) {
        o[3 * k] = xv[k];
        o[3 * k + 1] = 0.0;
        o[3 * k + 2] = xe[k];
      }
    } else if (g_.is_nyquist(m)) {
      for (int k = 0; k < 3 * ny; ++k) o[k] = 0.0;
    } else {
      const double kx = g_.kx(m), kz = g_.kz(m), kk = k2(m);
      spectral::chebyshev_derivative(xv, dv, ny);
      for (int k = 0; k < ny; ++k) {
        o[3 * k] = I * (kx * dv[k] - kz * xe[k]) / kk;
        o[3 * k + 1] = xv[k];
        o[3 * k + 2] = I * (kz * dv[k] + kx * xe[k]) / kk;
      }
    }
  }
}

void ChannelNSE::state_from_velocity(const cplx* uvw, cvec& x) const {
  x.assign(state_size(), 0.0);
  for (int ml = 0; ml < nml_; ++ml) {
    const int m = m0_ + ml;
    const cplx* o = uvw + std::size_t(ml) * ny_ * 3;
    if (g_.is_nyquist(m)) continue;
    const double kx = g_.kx(m), kz = g_.kz(m);
    for (int k = 0; k < ny_; ++k) {
      if (m == 0) {
        x[index(ml, 0, k)] = o[3 * k].real();
        x[index(ml, 1, k)] = o[3 * k + 2].real();
      } else {
        x[index(ml, 0, k)] = o[3 * k + 1];
        x[index(ml, 1, k)] = I * (kz * o[3 * k] - kx * o[3 * k + 2]);
      }
    }
  }
}

void ChannelNSE::fill_fields(const cvec& x, int nf) {
  const int ny = ny_;
  work_.resize(6 * ny);
  cplx *dv = work_.data(), *u = dv + ny, *w = u + ny, *du = w + ny, *dw = du + ny;
  const bool strain = nf == kLesFields;
  cplx* S = tr_.spec();
  // u, v, w and ω = ∇×u in Chebyshev–Fourier space (LES: and S_ij, S33 = −S11 − S22)
  for (int ml = 0; ml < nml_; ++ml) {
    const int m = m0_ + ml;
    const cplx* xv = &x[index(ml, 0, 0)];
    const cplx* xe = &x[index(ml, 1, 0)];
    cplx* s = S + std::size_t(ml) * ny * nf;
    if (m == 0) {
      spectral::chebyshev_derivative(xv, du, ny);
      spectral::chebyshev_derivative(xe, dw, ny);
      for (int k = 0; k < ny; ++k) {
        s[nf * k + kU] = xv[k];
        s[nf * k + kV] = 0.0;
        s[nf * k + kW] = xe[k];
        s[nf * k + kOmegaX] = dw[k];
        s[nf * k + kOmegaY] = 0.0;
        s[nf * k + kOmegaZ] = -du[k];
      }
      if (strain)
        for (int k = 0; k < ny; ++k) {
          s[nf * k + kS11] = 0.0;
          s[nf * k + kS22] = 0.0;
          s[nf * k + kS12] = 0.5 * du[k];
          s[nf * k + kS13] = 0.0;
          s[nf * k + kS23] = 0.5 * dw[k];
        }
    } else if (g_.is_nyquist(m)) {
      for (int k = 0; k < nf * ny; ++k) s[k] = 0.0;
    } else {
      const double kx = g_.kx(m), kz = g_.kz(m), kk = k2(m);
      spectral::chebyshev_derivative(xv, dv, ny);
      for (int k = 0; k < ny; ++k) {
        u[k] = I * (kx * dv[k] - kz * xe[k]) / kk;
        w[k] = I * (kz * dv[k] + kx * xe[k]) / kk;
      }
      spectral::chebyshev_derivative(u, du, ny);
      spectral::chebyshev_derivative(w, dw, ny);
      for (int k = 0; k < ny; ++k) {
        s[nf * k + kU] = u[k];
        s[nf * k + kV] = xv[k];
        s[nf * k + kW] = w[k];
        s[nf * k + kOmegaX] = dw[k] - I * kz * xv[k];
        s[nf * k + kOmegaY] = xe[k];
        s[nf * k + kOmegaZ] = I * kx * xv[k] - du[k];
      }
      if (strain)
        for (int k = 0; k < ny; ++k) {
          s[nf * k + kS11] = I * kx * u[k];                     // S11 = ∂u/∂x
          s[nf * k + kS22] = dv[k];                             // S22 = ∂v/∂y
          s[nf * k + kS12] = 0.5 * (du[k] + I * kx * xv[k]);    // S12 = (∂u/∂y + ∂v/∂x)/2
          s[nf * k + kS13] = 0.5 * I * (kz * u[k] + kx * w[k]); // S13 = (∂u/∂z + ∂w/∂x)/2
          s[nf * k + kS23] = 0.5 * (I * kz * xv[k] + dw[k]);    // S23 = (∂v/∂z + ∂w/∂y)/2
        }
    }
  }
}

void ChannelNSE::nonlinear_product() {
  const int ny = ny_;
  // H = u × ω on the padded grid, with plane sums for the diagnostics
  const std::size_t P = tr_.phys_plane();
  const double inv_dx = g_.nx / g_.lx, inv_dz = g_.nz / g_.lz;
  std::vector<double> red(5 * std::size_t(ny), 0.0);
  double rate = 0.0;
  double *p0 = tr_.phys(kU), *p1 = tr_.phys(kV), *p2 = tr_.phys(kW);
  const double *p3 = tr_.phys(kOmegaX), *p4 = tr_.phys(kOmegaY), *p5 = tr_.phys(kOmegaZ);
  for (int jl = 0; jl < tr_.ny_local(); ++jl) {
    const int J = tr_.y0() + jl;
    double su2 = 0, sv2 = 0, sw2 = 0, su = 0, sw = 0, r = 0;
    const double idy = inv_dy_[J];
    for (std::size_t q = jl * P, e = (jl + 1) * P; q < e; ++q) {
      const double uu = p0[q], vv = p1[q], ww = p2[q], ox = p3[q], oy = p4[q], oz = p5[q];
      su2 += uu * uu;
      sv2 += vv * vv;
      sw2 += ww * ww;
      su += uu;
      sw += ww;
      r = std::max(r, std::abs(uu) * inv_dx + std::abs(vv) * idy + std::abs(ww) * inv_dz);
      p0[q] = vv * oz - ww * oy;
      p1[q] = ww * ox - uu * oz;
      p2[q] = uu * oy - vv * ox;
    }
    red[5 * J + 0] = su2;
    red[5 * J + 1] = sv2;
    red[5 * J + 2] = sw2;
    red[5 * J + 3] = su;
    red[5 * J + 4] = sw;
    rate = std::max(rate, r);
  }
  MPI_Allreduce(MPI_IN_PLACE, red.data(), int(red.size()), MPI_DOUBLE, MPI_SUM, comm_);
  MPI_Allreduce(MPI_IN_PLACE, &rate, 1, MPI_DOUBLE, MPI_MAX, comm_);
  double ke = 0.0, kf = 0.0;
  for (int J = 0; J < ny; ++J) {
    const double e2 = (red[5 * J] + red[5 * J + 1] + red[5 * J + 2]) / P;
    const double mu = red[5 * J + 3] / P, mw = red[5 * J + 4] / P;
    ke += wcc_[J] * e2;
    kf += wcc_[J] * (e2 - mu * mu - mw * mw);
  }
  diag_.kinetic_energy = 0.25 * ke;
  diag_.fluct_energy = 0.25 * kf;
  diag_.cfl_rate = rate;
}

void ChannelNSE::project(cvec& n, int nf) {
  const int ny = ny_;
  work_.resize(6 * ny);
  cplx *dv = work_.data(), *t = dv + 5 * ny;
  const cplx* S = tr_.spec();
  // h_v, h_η and the mean-flow terms from Ĥ (fields kU..kW, stride nf)
  n.resize(state_size());
  for (int ml = 0; ml < nml_; ++ml) {
    const int m = m0_ + ml;
    const cplx* s = S + std::size_t(ml) * ny * nf;
    cplx* nv = &n[index(ml, 0, 0)];
    cplx* ne = &n[index(ml, 1, 0)];
    if (m == 0) {
      for (int k = 0; k < ny; ++k) {
        nv[k] = s[nf * k + kU].real();
        ne[k] = s[nf * k + kW].real();
      }
    } else if (g_.is_nyquist(m)) {
      for (int k = 0; k < ny; ++k) {
        nv[k] = 0.0;
        ne[k] = 0.0;
      }
    } else {
      const double kx = g_.kx(m), kz = g_.kz(m), kk = k2(m);
      for (int k = 0; k < ny; ++k) t[k] = I * (kx * s[nf * k + kU] + kz * s[nf * k + kW]);
      spectral::chebyshev_derivative(t, dv, ny);
      for (int k = 0; k < ny; ++k) {
        nv[k] = -dv[k] - kk * s[nf * k + kV];
        ne[k] = I * (kz * s[nf * k + kU] - kx * s[nf * k + kW]);
      }
    }
  }
}

void ChannelNSE::explicit_terms(const cvec& x, cvec& n) {
  if (!sgs_) {
    fill_fields(x, kDnsFields);
    tr_.to_physical(kDnsFields);
    nonlinear_product();
    tr_.to_spectral(kHFields);
    project(n, kHFields);
    return;
  }
  // LES: H = u × ω + ∂_j(2 ν_t S_ij)
  evaluate_sgs(x);                // u, ω, S; ν_t
  nonlinear_product();            // H = u × ω in the slots of u
  write_sgs_stress(kLesStress);   // τ11, τ22, τ12, τ13, τ23 after H
  tr_.to_spectral(kLesOutFields);
  const int ny = ny_, nf = kLesOutFields;
  div_work_.resize(3 * std::size_t(ny));
  cplx* S = tr_.spec();
  for (int ml = 0; ml < nml_; ++ml) {
    cplx* s = S + std::size_t(ml) * ny * nf;
    stress_divergence(ml, s, nf, kLesStress, div_work_.data());
    for (int k = 0; k < ny; ++k)
      for (int c = 0; c < 3; ++c) s[nf * k + kU + c] += div_work_[3 * k + c];
  }
  project(n, nf);
}

const SgsEvaluation& ChannelNSE::evaluate_sgs(const cvec& x) {
  IFF_REQUIRE(sgs_ != nullptr, "evaluate_sgs needs an SGS model (physics.sgs.model is none)");
  fill_fields(x, kLesFields);
  ResolvedFields f;
  if (sgs_->needs_friction_velocity()) f.u_tau = std::sqrt(std::abs(wall_shear(*this, x)));
  tr_.to_physical(kLesFields);
  for (int c = 0; c < 3; ++c) {
    f.u[c] = tr_.phys(kU + c);
    f.omega[c] = tr_.phys(kOmegaX + c);
  }
  for (int c = 0; c < 5; ++c) f.s[c] = tr_.phys(kS11 + c);
  const std::size_t P = tr_.phys_plane();
  const int nyl = tr_.ny_local();
  std::vector<double>& nut = sgs_eval_.nu_t;
  nut.resize(P * nyl);
  sgs_eval_.coefficient.resize(nyl);
  sgs_->eddy_viscosity(f, nut.data(), sgs_eval_.coefficient.data());
  // plane sums: ν_t, ε_sgs = 2 ν_t S_ij S_ij, min(ν + ν_t)
  sgs_eval_.plane_nu_t.assign(nyl, 0.0);
  sgs_eval_.plane_dissipation.assign(nyl, 0.0);
  sgs_eval_.plane_nu_total_min.assign(nyl, 0.0);
  const double *s11 = f.s[k11], *s22 = f.s[k22], *s12 = f.s[k12], *s13 = f.s[k13], *s23 = f.s[k23];
  for (int jl = 0; jl < nyl; ++jl) {
    double a = 0.0, e = 0.0, lo = std::numeric_limits<double>::max();
    for (std::size_t q = jl * P, end = (jl + 1) * P; q < end; ++q) {
      const double s33 = -s11[q] - s22[q];
      const double ss = s11[q] * s11[q] + s22[q] * s22[q] + s33 * s33 +
                        2.0 * (s12[q] * s12[q] + s13[q] * s13[q] + s23[q] * s23[q]);
      a += nut[q];
      e += 2.0 * nut[q] * ss;
      lo = std::min(lo, ph_.nu + nut[q]);
    }
    sgs_eval_.plane_nu_t[jl] = a / P;
    sgs_eval_.plane_dissipation[jl] = e / P;
    sgs_eval_.plane_nu_total_min[jl] = lo;
  }
  return sgs_eval_;
}

void ChannelNSE::write_sgs_stress(int t0) {
  const std::size_t N = tr_.phys_plane() * tr_.ny_local();
  const double *s11 = tr_.phys(kS11), *s22 = tr_.phys(kS22), *s12 = tr_.phys(kS12), *s13 = tr_.phys(kS13),
               *s23 = tr_.phys(kS23);
  double *t11 = tr_.phys(t0 + k11), *t22 = tr_.phys(t0 + k22), *t12 = tr_.phys(t0 + k12), *t13 = tr_.phys(t0 + k13),
         *t23 = tr_.phys(t0 + k23);
  const double* nut = sgs_eval_.nu_t.data();
  // pointwise, every S_ij read before any τ_ij is written (the fields may overlap)
  for (std::size_t q = 0; q < N; ++q) {
    const double two_nu = 2.0 * nut[q];
    const double a = s11[q], b = s22[q], c = s12[q], d = s13[q], e = s23[q];
    t11[q] = two_nu * a;
    t22[q] = two_nu * b;
    t12[q] = two_nu * c;
    t13[q] = two_nu * d;
    t23[q] = two_nu * e;
  }
}

void ChannelNSE::stress_divergence(int ml, const cplx* s, int nf, int t0, cplx* f) {
  // f_i = ∂_j τ_ij: f1 = i kx τ11 + D τ12 + i kz τ13, f2 = i kx τ12 + D τ22 + i kz τ23,
  // f3 = i kx τ13 + D τ23 + i kz τ33, τ33 = −τ11 − τ22
  const int ny = ny_, m = m0_ + ml;
  if (g_.is_nyquist(m)) {
    for (int k = 0; k < 3 * ny; ++k) f[k] = 0.0;
    return;
  }
  const double kx = g_.kx(m), kz = g_.kz(m);
  std::vector<cplx>& w = work_;
  w.resize(6 * std::size_t(ny));
  cplx *a = w.data(), *b = a + ny, *c = b + ny, *da = c + ny, *db = da + ny, *dc = db + ny;
  for (int k = 0; k < ny; ++k) {
    a[k] = s[nf * k + t0 + k12];
    b[k] = s[nf * k + t0 + k22];
    c[k] = s[nf * k + t0 + k23];
  }
  spectral::chebyshev_derivative(a, da, ny);
  spectral::chebyshev_derivative(b, db, ny);
  spectral::chebyshev_derivative(c, dc, ny);
  for (int k = 0; k < ny; ++k) {
    const cplx t11 = s[nf * k + t0 + k11], t22 = s[nf * k + t0 + k22], t12 = s[nf * k + t0 + k12];
    const cplx t13 = s[nf * k + t0 + k13], t23 = s[nf * k + t0 + k23];
    f[3 * k + 0] = I * kx * t11 + da[k] + I * kz * t13;
    f[3 * k + 1] = I * kx * t12 + db[k] + I * kz * t23;
    f[3 * k + 2] = I * kx * t13 + dc[k] - I * kz * (t11 + t22);
  }
}

void ChannelNSE::sgs_force(const cvec& x, cplx* f) {
  const std::size_t n = std::size_t(nml_) * ny_ * 3;
  if (!sgs_) {
    std::fill(f, f + n, cplx(0.0));
    return;
  }
  evaluate_sgs(x);
  write_sgs_stress(kForceStress);
  tr_.to_spectral(kForceFields);
  for (int ml = 0; ml < nml_; ++ml)
    stress_divergence(ml, tr_.spec() + std::size_t(ml) * ny_ * kForceFields, kForceFields, kForceStress,
                      f + std::size_t(ml) * ny_ * 3);
}

void ChannelNSE::apply_mass(const cvec& x, cvec& mx) const {
  mx.resize(x.size());
  std::vector<cplx>& d1 = mass_d1_;
  std::vector<cplx>& d2 = mass_d2_;
  d1.resize(ny_);
  d2.resize(ny_);
  for (int ml = 0; ml < nml_; ++ml) {
    const int m = m0_ + ml;
    const cplx* xv = &x[index(ml, 0, 0)];
    if (m == 0) {
      for (int c = 0; c < 2; ++c)
        for (int k = 0; k < ny_; ++k) mx[index(ml, c, k)] = x[index(ml, c, k)];
    } else if (g_.is_nyquist(m)) {
      for (int c = 0; c < 2; ++c)
        for (int k = 0; k < ny_; ++k) mx[index(ml, c, k)] = 0.0;
    } else {
      const double kk = k2(m);
      spectral::chebyshev_derivative(xv, d1.data(), ny_);
      spectral::chebyshev_derivative(d1.data(), d2.data(), ny_);
      for (int k = 0; k < ny_; ++k) {
        mx[index(ml, 0, k)] = d2[k] - kk * xv[k];
        mx[index(ml, 1, k)] = x[index(ml, 1, k)];
      }
    }
  }
}

void ChannelNSE::build_operators(double a0, double dt) {
  const double s = a0 / (ph_.nu * dt);
  std::vector<double> zero(ny_, 0.0), phi(ny_);
  for (int ml = 0; ml < nml_; ++ml) {
    const int m = m0_ + ml;
    if (m == 0 || g_.is_nyquist(m)) continue;
    ModeOps& o = ops_[ml];
    const double kk = k2(m);
    o.phi = spectral::ChebyshevHelmholtz(ny_, kk + s);
    if (o.vel.size() == 0) o.vel = spectral::ChebyshevHelmholtz(ny_, kk);
    o.v1.assign(ny_, 0.0);
    o.v2.assign(ny_, 0.0);
    o.phi.solve(zero.data(), phi.data(), 1.0, 0.0);
    o.vel.solve(phi.data(), o.v1.data(), 0.0, 0.0);
    o.phi.solve(zero.data(), phi.data(), 0.0, 1.0);
    o.vel.solve(phi.data(), o.v2.data(), 0.0, 0.0);
    const double a = spectral::chebyshev_slope_top(o.v1.data(), ny_), b = spectral::chebyshev_slope_top(o.v2.data(), ny_);
    const double c = spectral::chebyshev_slope_bottom(o.v1.data(), ny_), d = spectral::chebyshev_slope_bottom(o.v2.data(), ny_);
    const double det = a * d - b * c;
    IFF_CHECK_AS(iff::NumericalError, std::abs(det) > 0.0 && std::isfinite(det),
                 "singular influence matrix for mode " << m);
    o.minv[0] = d / det;
    o.minv[1] = -b / det;
    o.minv[2] = -c / det;
    o.minv[3] = a / det;
  }
  mean_ = spectral::ChebyshevHelmholtz(ny_, s);
  std::vector<double> f(ny_, 0.0);
  f[0] = -1.0 / ph_.nu;
  mean_unit_.assign(ny_, 0.0);
  mean_.solve(f.data(), mean_unit_.data(), 0.0, 0.0);
  cached_a0_ = a0;
  cached_dt_ = dt;
}

void ChannelNSE::implicit_solve(double a0, double dt, const cvec& rhs, cvec& x) {
  if (a0 != cached_a0_ || dt != cached_dt_) build_operators(a0, dt);
  const double sc = -1.0 / (ph_.nu * dt);
  x.resize(state_size());
  std::vector<cplx>& f = solve_f_;
  std::vector<cplx>& phi = solve_phi_;
  std::vector<cplx>& vp = solve_vp_;
  f.resize(ny_);
  phi.resize(ny_);
  vp.resize(ny_);
  for (int ml = 0; ml < nml_; ++ml) {
    const int m = m0_ + ml;
    if (g_.is_nyquist(m)) {
      for (int k = 0; k < 2 * ny_; ++k) x[index(ml, 0, k)] = 0.0;
      continue;
    }
    if (m == 0) {
      for (int c = 0; c < 2; ++c) {
        for (int k = 0; k < ny_; ++k) f[k] = sc * rhs[index(ml, c, k)].real();
        mean_.solve(f.data(), &x[index(ml, c, 0)]);
      }
      cplx* U = &x[index(ml, 0, 0)];
      if (ph_.driving == Driving::bulk_velocity) {
        const double ub = 0.5 * spectral::chebyshev_integral(U, ny_).real();
        const double u1 = 0.5 * spectral::chebyshev_integral(mean_unit_.data(), ny_);
        forcing_ = (ph_.bulk_velocity - ub) / u1;
      } else {
        forcing_ = ph_.pressure_gradient;
      }
      for (int k = 0; k < ny_; ++k) {
        U[k] = (U[k].real() + forcing_ * mean_unit_[k]);
        x[index(ml, 1, k)] = x[index(ml, 1, k)].real();
      }
      continue;
    }
    const ModeOps& o = ops_[ml];
    for (int k = 0; k < ny_; ++k) f[k] = sc * rhs[index(ml, 0, k)];
    o.phi.solve(f.data(), phi.data());
    o.vel.solve(phi.data(), vp.data());
    const cplx st = spectral::chebyshev_slope_top(vp.data(), ny_), sb = spectral::chebyshev_slope_bottom(vp.data(), ny_);
    const cplx c1 = -(o.minv[0] * st + o.minv[1] * sb);
    const cplx c2 = -(o.minv[2] * st + o.minv[3] * sb);
    cplx* v = &x[index(ml, 0, 0)];
    for (int k = 0; k < ny_; ++k) v[k] = vp[k] + c1 * o.v1[k] + c2 * o.v2[k];
    for (int k = 0; k < ny_; ++k) f[k] = sc * rhs[index(ml, 1, k)];
    o.phi.solve(f.data(), &x[index(ml, 1, 0)]);
  }
}

double ChannelNSE::forcing() const {
  double f = (m0_ == 0 && nml_ > 0) ? forcing_ : 0.0;
  MPI_Allreduce(MPI_IN_PLACE, &f, 1, MPI_DOUBLE, MPI_SUM, comm_);
  return f;
}

}  // namespace iff::solvers
