// Incompressible channel flow in the Kim–Moin–Moser velocity–vorticity form
// (Kim, Moin & Moser 1987, J. Fluid Mech. 177, 133).
//
//   d(∇²v)/dt = h_v + ν ∇⁴v,   h_v = -∂y(∂x H1 + ∂z H3) + (∂x² + ∂z²) H2
//   dη/dt     = h_η + ν ∇²η,   h_η = ∂z H1 - ∂x H3,            η = ∂z u - ∂x w
//   dU/dt     = <H1> + ν U'' + F,   dW/dt = <H3> + ν W''      (kx = kz = 0, plane means)
//   v = ∂v/∂y = η = U = W = 0 at y = ±1
//
// with H = u × ω, the rotational form of the nonlinear term (the kinetic energy is absorbed
// in the pressure), evaluated on the 3/2-padded grid; no dealiasing in y. u and w follow
// from continuity and η: k² û = i kx Dv̂ - i kz η̂, k² ŵ = i kz Dv̂ + i kx η̂, so div u = 0
// holds to round-off by construction. F = -dP/dx is either fixed (constant pressure
// gradient) or chosen every step so that the bulk velocity (1/2)∫U dy keeps its target
// value (constant flow rate); both enter the implicit solve.
//
// Implicit solves per wavenumber (KMM's influence-matrix method, tau method in y):
//   (D² - λ) φ = r,  φ(±1) = 0;   (D² - k²) v = φ, v(±1) = 0;   λ = k² + a0/(ν dt)
// plus the two homogeneous solutions that fix ∂v/∂y(±1) = 0 (precomputed 2×2 system).
//
// State vector (ImexProblem): this rank's modes [nm_local][2][ny] of Chebyshev
// coefficients: component 0 = v̂, 1 = η̂; for the mean mode kx = kz = 0 they hold U and W.
#pragma once

#include <memory>
#include <string>

#include "solvers/channel_grid.hpp"
#include "solvers/imex.hpp"

namespace iff::solvers {

enum class Driving {
  pressure_gradient,  ///< fixed F = -dP/dx
  bulk_velocity,      ///< F adjusted so that the bulk velocity stays at its target
};
Driving driving_from_string(const std::string& s);
std::string to_string(Driving d);

struct ChannelPhysics {
  double nu = 1.0 / 180.0;   ///< kinematic viscosity (units of the case: h and u_tau, or h and U_c)
  Driving driving = Driving::pressure_gradient;
  double pressure_gradient = 1.0;  ///< F = -dP/dx for pressure_gradient driving
  double bulk_velocity = 2.0 / 3.0;  ///< target (1/2)∫U dy for bulk_velocity driving
};

/// Volume and plane averages of the state an explicit_terms() call was made for.
struct FlowDiagnostics {
  double kinetic_energy = 0.0;    ///< (1/V)∫ |u|²/2 dV
  double fluct_energy = 0.0;      ///< same without the kx = kz = 0 mode
  double cfl_rate = 0.0;          ///< max (|u|/Δx + |v|/Δy + |w|/Δz); CFL = dt · cfl_rate
};

class ChannelNSE : public ImexProblem {
 public:
  ChannelNSE(const ChannelGrid& g, const ChannelPhysics& phys, MPI_Comm comm, unsigned fftw_flags = FFTW_ESTIMATE);

  std::size_t state_size() const override { return std::size_t(nml_) * 2 * ny_; }
  void explicit_terms(const cvec& x, cvec& n) override;
  void apply_mass(const cvec& x, cvec& mx) const override;
  void implicit_solve(double a0, double dt, const cvec& rhs, cvec& x) override;

  const ChannelGrid& grid() const { return g_; }
  const ChannelPhysics& physics() const { return ph_; }
  ChannelTransform& transform() { return tr_; }
  MPI_Comm comm() const { return comm_; }
  int m0() const { return m0_; }
  int nm_local() const { return nml_; }
  std::size_t index(int ml, int comp, int k) const { return (std::size_t(ml) * 2 + comp) * ny_ + k; }

  /// u, v, w Chebyshev coefficients of this rank's modes into out[nm_local][ny][3].
  void velocity_coefficients(const cvec& x, cplx* out) const;
  /// The state (v, η, U, W) of given u, v, w coefficients [nm_local][ny][3] (the
  /// divergence-free part; U, W take the real part of the mean mode).
  void state_from_velocity(const cplx* uvw, cvec& x) const;

  /// Diagnostics of the last explicit_terms() state (already reduced over ranks).
  const FlowDiagnostics& last_diagnostics() const { return diag_; }
  /// F = -dP/dx used by the last implicit solve (the fixed value before the first).
  double forcing() const;
  /// Restores the last forcing (restart), so that diagnostics continue unchanged.
  void set_forcing(double f) { forcing_ = f; }
  /// (1/2)∫U dy. Collective.
  double bulk_velocity(const cvec& x) const;
  /// Mean wall shear stress ν (|dU/dy(-1)| + |dU/dy(+1)|)/2. Collective.
  double wall_shear(const cvec& x) const;
  /// (1/V)∫|u - <u>_xz|²/2 dV from the coefficients (Parseval in x, z; Clenshaw–Curtis in y).
  /// Collective.
  double fluctuation_energy(const cvec& x) const;
  /// ∫|û|²+|v̂|²+|ŵ|² dy of one global mode (0 on ranks that do not hold it). Not collective.
  double mode_energy(const cvec& x, int m) const;
  /// max over the padded grid of |∂u/∂x + ∂v/∂y + ∂w/∂z|. Collective (one extra transform).
  double max_divergence(const cvec& x);
  /// Gathers u, v, w on the unpadded nx × ny × nz grid to rank 0 as [nx][ny][nz][3] with y
  /// ascending from the lower wall (the data contract's order); empty on other ranks.
  /// Collective.
  std::vector<double> gather_velocity(const cvec& x) const;
  /// True when every coefficient is finite on every rank. Collective.
  bool finite(const cvec& x) const;

 private:
  struct ModeOps {
    ChebyshevHelmholtz phi, vel;   // (D² - λ), (D² - k²)
    std::vector<double> v1, v2;    // influence solutions
    double minv[4] = {0, 0, 0, 0}; // inverse of [[Dv1(+1), Dv2(+1)], [Dv1(-1), Dv2(-1)]]
  };
  void build_operators(double a0, double dt);
  double k2(int m) const { return g_.kx(m) * g_.kx(m) + g_.kz(m) * g_.kz(m); }

  ChannelGrid g_;
  ChannelPhysics ph_;
  MPI_Comm comm_;
  ChannelTransform tr_;
  int ny_, m0_, nml_;
  std::vector<double> ygl_, wcc_, inv_dy_;
  std::vector<ModeOps> ops_;
  ChebyshevHelmholtz mean_;
  std::vector<double> mean_unit_;  // U_1: (a0 - dt ν D²) U_1 = dt, U_1(±1) = 0
  double cached_a0_ = -1.0, cached_dt_ = -1.0;
  double forcing_ = 0.0;
  FlowDiagnostics diag_;
  std::vector<cplx> work_, solve_f_, solve_phi_, solve_vp_;
  mutable std::vector<cplx> mass_d1_, mass_d2_;
};

}  // namespace iff::solvers
