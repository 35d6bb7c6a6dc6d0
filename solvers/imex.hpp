// Implicit–explicit time stepping, separate from any equation.
//
// An ImexProblem is  M dx/dt = L x + N(x):  N explicit (nonlinear terms, forcing), L implicit
// (viscous), M a linear "mass" operator (the identity, or the Laplacian for the KMM
// v-equation, whose unknown is v but whose evolved quantity is ∇²v).
//
// SBDF-k (semi-implicit backward differentiation, Ascher, Ruuth & Wetton 1995, SIAM J.
// Numer. Anal. 32, 797), k = 1, 2, 3:
//   (a0 M - dt L) x^{n+1} = M sum_j alpha_j x^{n-j} + dt sum_j beta_j N(x^{n-j})
//   k=1: a0 = 1,    alpha = {1},              beta = {1}
//   k=2: a0 = 3/2,  alpha = {2, -1/2},        beta = {2, -1}
//   k=3: a0 = 11/6, alpha = {3, -3/2, 1/3},   beta = {3, -3, 1}
// Self-starting: the first two steps of a fresh start are each made of `startup_substeps`
// substeps (orders 1, 2, 3, 3, ... at dt / substeps), which makes the low-order start's
// error negligible; SBDF3 at dt continues from t = 2 dt. Every step() advances by one dt,
// also in this phase, so a caller sees (and writes) the state of every step.
#pragma once

#include <complex>
#include <vector>

namespace iff::solvers {

using cplx = std::complex<double>;
using cvec = std::vector<cplx>;

class ImexProblem {
 public:
  virtual ~ImexProblem() = default;
  /// Length of the state vector (this rank's part).
  virtual std::size_t state_size() const = 0;
  /// n = N(x), the explicit terms at state x.
  virtual void explicit_terms(const cvec& x, cvec& n) = 0;
  /// mx = M x.
  virtual void apply_mass(const cvec& x, cvec& mx) const = 0;
  /// Solves (a0 M - dt L) x = rhs.
  virtual void implicit_solve(double a0, double dt, const cvec& rhs, cvec& x) = 0;
};

struct SbdfCoefficients {
  int order;
  double a0;
  double alpha[3];
  double beta[3];
  static SbdfCoefficients of_order(int order);
};

/// Saved state of an SBDF integration: enough for a bit-for-bit continuation.
struct SbdfHistory {
  std::vector<cvec> x;  ///< x^n, x^{n-1}, ... (most recent first, up to max order)
  std::vector<cvec> n;  ///< N(x^{n-1}), N(x^{n-2}), ... (most recent first)
  double time = 0.0;
  long step = 0;
};

class Sbdf {
 public:
  Sbdf(ImexProblem& p, double dt, int max_order = 3, int startup_substeps = 8);
  /// Fresh start from x0 at time t0, step number step0; the next two steps are the
  /// self-starting phase when max_order > 1 and startup_substeps > 1.
  void start(const cvec& x0, double t0 = 0.0, long step0 = 0);
  /// Continues from the current state with another time step: the history is rebuilt by the
  /// self-starting phase (used by CFL-controlled runs).
  void change_dt(double dt);
  /// Sets dt before start() (the history is not touched).
  void set_dt(double dt) { dt_ = dt; }
  /// Continues from a saved history (restart). A history of one state and no explicit
  /// terms (a fresh start, or a checkpoint taken in the self-starting phase) starts afresh
  /// from it, so that the phase is repeated bit for bit.
  void resume(const SbdfHistory& h);
  /// One step of size dt at the highest order the history allows (in the self-starting
  /// phase: `startup_substeps` substeps).
  void step();
  /// Whether the next step() belongs to the self-starting phase (its explicit terms are then
  /// evaluated at substep states, not only at state()).
  bool starting() const { return starting_ > 0; }

  const cvec& state() const { return h_.x.front(); }
  double time() const { return h_.time; }
  long step_count() const { return h_.step; }
  double dt() const { return dt_; }
  /// What a restart continues from (resume()): the SBDF history, or in the self-starting
  /// phase the state the phase began with (its time and step are that state's).
  const SbdfHistory& history() const { return starting_ > 0 ? origin_ : h_; }

 private:
  void advance(SbdfHistory& h, double dt);
  ImexProblem& p_;
  double dt_;
  int max_order_;
  int substeps_;
  SbdfHistory h_;
  cvec nbuf_, comb_, rhs_;
  // self-starting phase: steps left (2, 1, 0), where it began, its substep integration at
  // dt / substeps, N(x^0) and N(x^1) from its substeps, and x^1
  int starting_ = 0;
  SbdfHistory origin_, sub_;
  cvec n0_, n1_, x1_;
};

}  // namespace iff::solvers
