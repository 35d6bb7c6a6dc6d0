#include "solvers/imex.hpp"

#include <algorithm>

#include "io/error.hpp"

namespace iff::solvers {

SbdfCoefficients SbdfCoefficients::of_order(int order) {
  switch (order) {
    case 1: return {1, 1.0, {1.0, 0.0, 0.0}, {1.0, 0.0, 0.0}};
    case 2: return {2, 1.5, {2.0, -0.5, 0.0}, {2.0, -1.0, 0.0}};
    case 3: return {3, 11.0 / 6.0, {3.0, -1.5, 1.0 / 3.0}, {3.0, -3.0, 1.0}};
    default: IFF_CHECK(false, "SBDF order must be 1, 2 or 3, got " << order);
  }
  return {};
}

Sbdf::Sbdf(ImexProblem& p, double dt, int max_order, int startup_substeps)
    : p_(p), dt_(dt), max_order_(max_order), substeps_(std::max(1, startup_substeps)) {
  IFF_REQUIRE(dt > 0.0, "time step must be positive, got " << dt);
  IFF_REQUIRE(max_order >= 1 && max_order <= 3, "SBDF order must be 1..3, got " << max_order);
}

void Sbdf::advance(SbdfHistory& h, double dt) {
  const std::size_t n = p_.state_size();
  nbuf_.resize(n);
  p_.explicit_terms(h.x.front(), nbuf_);
  const int order = std::min<int>(max_order_, int(h.x.size()));
  const auto c = SbdfCoefficients::of_order(order);
  // one pass each (memory-bound on large grids); same summation order as term by term
  comb_.resize(n);
  rhs_.resize(n);
  {
    const auto* x0 = h.x[0].data();
    const auto* x1 = order > 1 ? h.x[1].data() : nullptr;
    const auto* x2 = order > 2 ? h.x[2].data() : nullptr;
    auto* cb = comb_.data();
    if (order == 1)
      for (std::size_t i = 0; i < n; ++i) cb[i] = c.alpha[0] * x0[i];
    else if (order == 2)
      for (std::size_t i = 0; i < n; ++i) cb[i] = c.alpha[0] * x0[i] + c.alpha[1] * x1[i];
    else
      for (std::size_t i = 0; i < n; ++i) cb[i] = c.alpha[0] * x0[i] + c.alpha[1] * x1[i] + c.alpha[2] * x2[i];
  }
  p_.apply_mass(comb_, rhs_);
  {
    const double b0 = dt * c.beta[0], b1 = dt * c.beta[1], b2 = dt * c.beta[2];
    const auto* n0 = nbuf_.data();
    const auto* n1 = order > 1 ? h.n[0].data() : nullptr;
    const auto* n2 = order > 2 ? h.n[1].data() : nullptr;
    auto* r = rhs_.data();
    if (order == 1)
      for (std::size_t i = 0; i < n; ++i) r[i] += b0 * n0[i];
    else if (order == 2)
      for (std::size_t i = 0; i < n; ++i) r[i] = r[i] + b0 * n0[i] + b1 * n1[i];
    else
      for (std::size_t i = 0; i < n; ++i) r[i] = r[i] + b0 * n0[i] + b1 * n1[i] + b2 * n2[i];
  }
  // reuse the storage of the oldest entries (no allocation once the history is full)
  cvec xnew;
  if (int(h.x.size()) == max_order_) {
    xnew = std::move(h.x.back());
    h.x.pop_back();
  }
  p_.implicit_solve(c.a0, dt, rhs_, xnew);
  if (max_order_ > 1) {
    cvec oldest;
    if (int(h.n.size()) == max_order_ - 1) {
      oldest = std::move(h.n.back());
      h.n.pop_back();
    }
    h.n.insert(h.n.begin(), std::move(nbuf_));
    nbuf_ = std::move(oldest);
  }
  h.x.insert(h.x.begin(), std::move(xnew));
  h.time += dt;
  h.step += 1;
}

void Sbdf::start(const cvec& x0, double t0, long step0) {
  IFF_CHECK(x0.size() == p_.state_size(), "initial state has the wrong size");
  h_ = SbdfHistory{};
  h_.x = {x0};
  h_.time = t0;
  h_.step = step0;
  starting_ = 0;
  if (max_order_ == 1 || substeps_ == 1) return;
  origin_ = h_;
  sub_ = h_;
  starting_ = 2;
}

void Sbdf::change_dt(double dt) {
  IFF_REQUIRE(dt > 0.0, "time step must be positive, got " << dt);
  const cvec x = h_.x.front();
  const double t = h_.time;
  const long n = h_.step;
  dt_ = dt;
  start(x, t, n);
}

void Sbdf::resume(const SbdfHistory& h) {
  IFF_CHECK(!h.x.empty() && h.x.front().size() == p_.state_size(), "restart history has the wrong size");
  if (h.x.size() == 1 && h.n.empty()) {
    start(h.x.front(), h.time, h.step);
    return;
  }
  h_ = h;
  starting_ = 0;
}

void Sbdf::step() {
  if (starting_ == 0) {
    advance(h_, dt_);
    return;
  }
  // one step of the self-starting phase: m substeps on sub_
  const int m = substeps_;
  for (int k = 1; k <= m; ++k) {
    advance(sub_, dt_ / m);
    if (k == 1) (starting_ == 2 ? n0_ : n1_) = sub_.n.front();  // N(x^0), N(x^1)
  }
  if (starting_ == 2) {
    x1_ = sub_.x.front();
    h_.x = {x1_};
    h_.n.clear();
    h_.time = origin_.time + dt_;
    h_.step = origin_.step + 1;
    starting_ = 1;
    return;
  }
  h_.x = {sub_.x.front(), x1_, origin_.x.front()};
  h_.n = {n1_, n0_};
  h_.x.resize(max_order_);
  h_.n.resize(max_order_ - 1);
  h_.time = origin_.time + 2.0 * dt_;
  h_.step = origin_.step + 2;
  starting_ = 0;
  origin_ = sub_ = SbdfHistory{};
  n0_ = n1_ = x1_ = cvec{};
}

}  // namespace iff::solvers
