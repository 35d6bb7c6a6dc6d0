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
//
// LES (physics.sgs.model != none, solvers/sgs_model.hpp): H = u × ω + ∇·(2 ν_t S), with ν_t
// from the resolved gradient on the padded grid. Per evaluation: 11 fields to physical space
// (u, ω, and S11, S22, S12, S13, S23 from the spectral derivatives), ν_t and the stress
// τ_ij = 2 ν_t S_ij pointwise, H and the five independent τ_ij back to spectral space (8
// fields; τ33 = −τ11 − τ22 since S is traceless), and ∂_j τ_ij spectrally (i kx, i kz,
// Chebyshev D) added to Ĥ before the projection onto h_v, h_η and the mean-flow terms.
// With model none the DNS path runs unchanged (6 + 3 transforms, bit-identical results).
//
// ChannelNSE holds the equation and what its evaluation computes: explicit terms (with the
// volume averages and CFL rate they give on the way), implicit solves, mass operator, the
// velocity of a state, and for an LES the SGS force ∂_j(2 ν_t S_ij) and ν_t (sgs_force,
// evaluate_sgs: steps of the explicit terms, kept here so that they stay the same code).
// Diagnostics of a state and the gather of the velocity to rank 0 are free functions in
// solvers/channel_diagnostics.hpp; the SGS plane profiles are in solvers/sgs_profiles.hpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "spectral/channel_grid.hpp"
#include "solvers/imex.hpp"
#include "solvers/sgs_model.hpp"

namespace iff::solvers {

enum class Driving {
  pressure_gradient,  ///< fixed F = -dP/dx
  bulk_velocity,      ///< F adjusted so that the bulk velocity stays at its target
};
inline const EnumNames<Driving> kDrivingNames{{Driving::pressure_gradient, "pressure_gradient"},
                                              {Driving::bulk_velocity, "bulk_velocity"}};
inline std::string to_string(Driving d) { return kDrivingNames.name(d); }

struct ChannelPhysics {
  double nu = 1.0 / 180.0;   ///< kinematic viscosity (units of the case: h and u_tau, or h and U_c)
  Driving driving = Driving::pressure_gradient;
  double pressure_gradient = 1.0;  ///< F = -dP/dx for pressure_gradient driving
  double bulk_velocity = 2.0 / 3.0;  ///< target (1/2)∫U dy for bulk_velocity driving
  SgsParams sgs;             ///< LES closure (model none: DNS)
};

/// The SGS model evaluated at one state, on this rank's planes of the padded grid (local
/// plane jl is the Gauss–Lobatto index y0 + jl of the transform).
struct SgsEvaluation {
  std::vector<double> nu_t;            ///< ν_t [ny_local][nzp][nxp]
  std::vector<double> coefficient;     ///< model coefficient C per local plane (SgsModel::eddy_viscosity)
  std::vector<double> plane_nu_t;      ///< <ν_t> per local plane
  std::vector<double> plane_dissipation;  ///< <2 ν_t S_ij S_ij> per local plane
  std::vector<double> plane_nu_total_min; ///< min over the plane of ν + ν_t, per local plane
};

/// Volume and plane averages of the state an explicit_terms() call was made for.
struct FlowDiagnostics {
  double kinetic_energy = 0.0;    ///< (1/V)∫ |u|²/2 dV
  double fluct_energy = 0.0;      ///< same without the kx = kz = 0 mode
  double cfl_rate = 0.0;          ///< max (|u|/Δx + |v|/Δy + |w|/Δz); CFL = dt · cfl_rate
};

class ChannelNSE : public ImexProblem {
 public:
  ChannelNSE(const spectral::ChannelGrid& g, const ChannelPhysics& phys, MPI_Comm comm, unsigned fftw_flags = FFTW_ESTIMATE);

  std::size_t state_size() const override { return std::size_t(nml_) * 2 * ny_; }
  void explicit_terms(const cvec& x, cvec& n) override;
  void apply_mass(const cvec& x, cvec& mx) const override;
  void implicit_solve(double a0, double dt, const cvec& rhs, cvec& x) override;

  const spectral::ChannelGrid& grid() const { return g_; }
  const ChannelPhysics& physics() const { return ph_; }
  spectral::ChannelTransform& transform() { return tr_; }
  MPI_Comm comm() const { return comm_; }
  int m0() const { return m0_; }
  int nm_local() const { return nml_; }
  std::size_t index(int ml, int comp, int k) const { return (std::size_t(ml) * 2 + comp) * ny_ + k; }
  /// Clenshaw–Curtis weights of the Gauss–Lobatto points (∫f dy ≈ Σ_j w_j f(y_j)).
  const std::vector<double>& quadrature_weights() const { return wcc_; }

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
  /// Whether an SGS model is active (physics.sgs.model != none).
  bool les() const { return sgs_ != nullptr; }
  /// The SGS model (nullptr for DNS).
  const SgsModel* sgs_model() const { return sgs_.get(); }
  /// SGS force f = ∂_j(2 ν_t S_ij) of state x as Chebyshev coefficients [nm_local][ny][3]
  /// (zero without a model). Collective.
  void sgs_force(const cvec& x, cplx* f);
  /// Evaluates the SGS model at state x, the step of the LES explicit terms that gives ν_t:
  /// ν_t and its plane sums on this rank's planes (the transform's fields then hold u, ω and
  /// S of x in physical space). Valid until the next explicit_terms, sgs_force or
  /// evaluate_sgs. LES only. Collective.
  const SgsEvaluation& evaluate_sgs(const cvec& x);

 private:
  struct ModeOps {
    spectral::ChebyshevHelmholtz phi, vel;   // (D² - λ), (D² - k²)
    std::vector<double> v1, v2;    // influence solutions
    double minv[4] = {0, 0, 0, 0}; // inverse of [[Dv1(+1), Dv2(+1)], [Dv1(-1), Dv2(-1)]]
  };
  void build_operators(double a0, double dt);
  // explicit_terms in steps: spectral u, v, w, ω (and S when nf = 11) -> fields 0..nf-1;
  // H = u × ω on the padded grid into fields 0..2 (and the diagnostics); Ĥ -> h_v, h_η, means
  void fill_fields(const cvec& x, int nf);
  void nonlinear_product();
  void project(cvec& n, int nf);
  // LES: τ_ij = 2 ν_t S_ij of the last evaluate_sgs into fields t0..t0+4; f = ∂_j τ_ij of
  // one mode from the spectral τ at field t0 (stride nf)
  void write_sgs_stress(int t0);
  void stress_divergence(int ml, const cplx* s, int nf, int t0, cplx* f);
  double k2(int m) const { return g_.kx(m) * g_.kx(m) + g_.kz(m) * g_.kz(m); }

  spectral::ChannelGrid g_;
  ChannelPhysics ph_;
  MPI_Comm comm_;
  spectral::ChannelTransform tr_;
  int ny_, m0_, nml_;
  std::vector<double> ygl_, wcc_, inv_dy_;
  std::vector<ModeOps> ops_;
  spectral::ChebyshevHelmholtz mean_;
  std::vector<double> mean_unit_;  // U_1: (a0 - dt ν D²) U_1 = dt, U_1(±1) = 0
  double cached_a0_ = -1.0, cached_dt_ = -1.0;
  double forcing_ = 0.0;
  FlowDiagnostics diag_;
  std::vector<cplx> work_, solve_f_, solve_phi_, solve_vp_;
  std::unique_ptr<SgsModel> sgs_;
  SgsEvaluation sgs_eval_;
  std::vector<cplx> div_work_;
  mutable std::vector<cplx> mass_d1_, mass_d2_;
};

}  // namespace iff::solvers
