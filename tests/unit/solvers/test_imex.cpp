// SBDF1-3 on a scalar IMEX problem with a known solution: observed orders 1, 2, 3.
#include <gtest/gtest.h>

#include <cmath>

#include "solvers/imex.hpp"

using namespace iff::solvers;



namespace {
/// dx/dt = λ x (implicit) + i μ x (explicit); x(t) = exp((λ + iμ) t).
struct Scalar : ImexProblem {
  double lambda = -2.0, mu = 3.0;
  std::size_t state_size() const override { return 1; }
  void explicit_terms(const cvec& x, cvec& n) override { n = {std::complex<double>(0, mu) * x[0]}; }
  void apply_mass(const cvec& x, cvec& mx) const override { mx = x; }
  void implicit_solve(double a0, double dt, const cvec& rhs, cvec& x) override { x = {rhs[0] / (a0 - dt * lambda)}; }
  std::complex<double> exact(double t) const { return std::exp(std::complex<double>(lambda, mu) * t); }
};

double error_exact_start(int order, double dt, double t_end) {
  Scalar p;
  Sbdf s(p, dt, order, 1);
  SbdfHistory h;
  for (int j = 0; j < order; ++j) h.x.push_back({p.exact(-j * dt)});
  cvec n;
  for (int j = 1; j < order; ++j) {
    p.explicit_terms({p.exact(-j * dt)}, n);
    h.n.push_back(n);
  }
  s.resume(h);
  while (s.time() < t_end - 1e-12) s.step();
  return std::abs(s.state()[0] - p.exact(s.time()));
}
}  // namespace

class SbdfOrder : public ::testing::TestWithParam<int> {};

TEST_P(SbdfOrder, ObservedOrderMatchesScheme) {
  const int order = GetParam();
  const double e1 = error_exact_start(order, 0.01, 1.0), e2 = error_exact_start(order, 0.005, 1.0);
  const double observed = std::log2(e1 / e2);
  EXPECT_NEAR(observed, order, 0.1) << "errors " << e1 << " " << e2;
}

INSTANTIATE_TEST_SUITE_P(Orders, SbdfOrder, ::testing::Values(1, 2, 3));

TEST(Sbdf, SubstepStartIsAsAccurateAsExactHistory) {
  Scalar p;
  const double dt = 0.005;
  Sbdf s(p, dt, 3, 8);
  s.start({1.0});
  EXPECT_EQ(s.step_count(), 0);
  s.step();
  s.step();
  EXPECT_EQ(s.step_count(), 2);
  EXPECT_NEAR(s.time(), 2 * dt, 1e-15);
  while (s.step_count() < 200) s.step();
  const double err = std::abs(s.state()[0] - p.exact(s.time()));
  const double ref = error_exact_start(3, dt, 1.0);
  EXPECT_LT(err, 2.0 * ref) << "self-started " << err << " exact history " << ref;
  // a plain order ramp (1, 2, 3 at dt) is much worse
  Sbdf r(p, dt, 3, 1);
  r.start({1.0});
  while (r.step_count() < 200) r.step();
  EXPECT_GT(std::abs(r.state()[0] - p.exact(r.time())), 5.0 * err);
}

TEST(Sbdf, ChangeOfStepKeepsAccuracyAndCounts) {
  Scalar p;
  Sbdf s(p, 0.02, 3, 8);
  s.start({1.0});
  while (s.time() < 0.5 - 1e-12) s.step();
  const long n = s.step_count();
  const double t = s.time();
  s.change_dt(0.01);
  EXPECT_EQ(s.step_count(), n);  // the self-starting phase: the next two steps of the new dt
  EXPECT_TRUE(s.starting());
  s.step();
  s.step();
  EXPECT_FALSE(s.starting());
  EXPECT_EQ(s.step_count(), n + 2);
  EXPECT_NEAR(s.time(), t + 0.02, 1e-15);
  EXPECT_DOUBLE_EQ(s.dt(), 0.01);
  while (s.time() < 1.0 - 1e-12) s.step();
  EXPECT_NEAR(s.time(), 1.0, 1e-12);
  const double err = std::abs(s.state()[0] - p.exact(s.time()));
  EXPECT_LT(err, 2.0 * error_exact_start(3, 0.02, 1.0)) << err;
}

// Every step() is one step of dt, the self-starting ones too: their states are the solution
// at t = dt and 2 dt (to the accuracy of the substeps), and a history taken within them (a
// checkpoint) resumes into the same states bit for bit.
TEST(Sbdf, SelfStartingStepsAreStepsOfTheirOwn) {
  Scalar p;
  const double dt = 0.01;
  Sbdf s(p, dt, 3, 8);
  s.start({1.0});
  EXPECT_TRUE(s.starting());
  EXPECT_EQ(s.step_count(), 0);
  EXPECT_EQ(s.time(), 0.0);
  s.step();
  EXPECT_TRUE(s.starting());
  EXPECT_EQ(s.step_count(), 1);
  EXPECT_NEAR(s.time(), dt, 1e-15);
  // (u changes by ~0.036 per step; the first order-1 substep errs by ~1e-5)
  EXPECT_LT(std::abs(s.state()[0] - p.exact(dt)), 1e-4) << "the state of step 1 is not u(dt)";
  const SbdfHistory mid = s.history();  // what a checkpoint of step 1 holds: the phase's start
  EXPECT_EQ(mid.step, 0);
  EXPECT_EQ(mid.x.size(), 1u);
  s.step();
  EXPECT_FALSE(s.starting());
  EXPECT_EQ(s.step_count(), 2);
  EXPECT_NEAR(s.time(), 2 * dt, 1e-15);
  EXPECT_LT(std::abs(s.state()[0] - p.exact(2 * dt)), 1e-4) << "the state of step 2 is not u(2 dt)";
  Sbdf r(p, dt, 3, 8);
  r.resume(mid);
  while (r.step_count() < 5) r.step();
  while (s.step_count() < 5) s.step();
  EXPECT_EQ(r.state()[0], s.state()[0]);
  EXPECT_EQ(r.time(), s.time());
}
