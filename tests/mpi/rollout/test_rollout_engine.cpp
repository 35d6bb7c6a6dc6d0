// The rollout engine with a numerical stepper of known solution u_{n+1} = a u_n + b u_{n-1}
// (window 2): every trajectory follows the closed-form recurrence, the blow-up guard stops
// exactly the trajectory whose energy leaves the band (at the predicted step) or turns
// non-finite, and the results do not depend on how trajectories are shared over ranks.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "io/partition.hpp"
#include "rollout/engine.hpp"
#include "tests/support/test_support.hpp"

using iff::rollout::Field;
using iff::rollout::Trajectory;

namespace {

/// u_{n+1} = a u_n + b u_{n-1}; the output turns NaN once the input drops below -1.4 (to
/// exercise the non-finite guard).
class Recurrence : public iff::rollout::Stepper {
 public:
  Recurrence(double a, double b) : a_(a), b_(b) {}
  int window() const override { return 2; }
  std::string describe() const override { return "recurrence"; }
  void advance(const std::vector<int>& ids, const std::vector<std::vector<const Field*>>& h,
               std::vector<Field>& next) override {
    EXPECT_EQ(ids.size(), h.size());
    for (std::size_t i = 0; i < h.size(); ++i) {
      // each trajectory's states carry its id (component 1 / component 2 = 10 (1 + id)), which
      // the linear recurrence keeps
      EXPECT_NEAR((*h[i][1])[1] / (*h[i][1])[2], 10.0 * (1 + ids[i]), 1e-9) << "trajectory " << ids[i];
      const Field &older = *h[i][0], &newer = *h[i][1];
      next[i].resize(newer.size());
      for (std::size_t p = 0; p < newer.size(); ++p) next[i][p] = a_ * newer[p] + b_ * older[p];
      if (newer[0] < -1.4) next[i][0] = std::numeric_limits<double>::quiet_NaN();
    }
  }

 private:
  double a_, b_;
};

struct Result {
  std::vector<double> finals;  // last value of component 0 per trajectory
  std::vector<int> completed;
  std::string reason3;         // stop reason of trajectory 3 (on its rank, else empty)
};

Result run_on(MPI_Comm comm, int n, double band) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const auto [first, last] = iff::share_range(n, rank, size);
  std::vector<Trajectory> local;
  for (int i = first; i < last; ++i) {
    Trajectory t;
    t.id = i;
    t.label = "test " + std::to_string(i);
    const double s = (i == 3 ? -1.0 : 1.0) * (1.0 + 0.1 * i);
    t.history.push_back(Field(6, s));
    t.history.push_back(Field(6, s * (i == 2 ? 2.0 : 1.0)));  // trajectory 2 grows fast
    for (auto& f : t.history) f[1] = 10.0 * (1 + i) * f[2];  // the id, for the stepper to check
    local.push_back(std::move(t));
  }
  iff::rollout::RolloutParams p;
  p.steps = 12;
  p.energy_band = band;
  p.batch = 2;
  p.progress_seconds = 1e9;
  iff::rollout::RolloutEngine engine(p, comm);
  Recurrence rec(1.05, 0.0);
  int observed = 0;
  engine.run(
      rec, local, [](const Field& u) { return 0.5 * u[0] * u[0]; },
      [](int, int) -> std::optional<double> { return std::nullopt; },
      [&](int, const std::vector<Trajectory>&) { ++observed; });
  EXPECT_EQ(observed, p.steps + 1);
  std::vector<double> finals(n, 0.0), fin_all(n);
  std::vector<int> done(n, 0), done_all(n);
  std::string reason3;
  for (const auto& t : local) {
    finals[t.id] = t.state()[0];
    done[t.id] = t.completed;
    if (t.id == 3) reason3 = t.stop_reason;
  }
  MPI_Allreduce(finals.data(), fin_all.data(), n, MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(done.data(), done_all.data(), n, MPI_INT, MPI_SUM, comm);
  return {fin_all, done_all, reason3};
}

}  // namespace

TEST(RolloutEngine, ClosedFormGuardAndRankIndependence) {
  const int n = 5;
  auto s = [](int i) { return (i == 3 ? -1.0 : 1.0) * (1.0 + 0.1 * i); };
  // u_k = 1.05^k u_0 (trajectory 2 starts from 2 s): the energy ratio to the initial state
  // 1.05^(2k) is 1.477 at k = 4 and 1.629 at k = 5, so a band of 1.5 stops at step 5
  // (completed 4). Trajectory 3: u_2 = -1.3 * 1.1025 < -1.4, so step 3 is NaN (completed 2).
  const auto all = run_on(MPI_COMM_WORLD, n, 1.5);
  for (int i : {0, 1, 4}) {
    EXPECT_EQ(all.completed[i], 4) << i;
    EXPECT_NEAR(all.finals[i], s(i) * std::pow(1.05, 4), 1e-13) << i;
  }
  EXPECT_EQ(all.completed[2], 4);
  EXPECT_NEAR(all.finals[2], 2 * s(2) * std::pow(1.05, 4), 1e-13);
  EXPECT_EQ(all.completed[3], 2);
  EXPECT_NEAR(all.finals[3], s(3) * std::pow(1.05, 2), 1e-13) << "last good state kept";
  const auto [f3, l3] = iff::share_range(n, iff::test::rank(), iff::test::size());
  if (f3 <= 3 && 3 < l3) {
    EXPECT_NE(all.reason3.find("trajectory 3"), std::string::npos) << all.reason3;
    EXPECT_NE(all.reason3.find("step 3"), std::string::npos) << all.reason3;
    EXPECT_NE(all.reason3.find("non-finite"), std::string::npos) << all.reason3;
  }

  // without a band every trajectory but the NaN one runs its 12 steps
  const auto free = run_on(MPI_COMM_WORLD, n, 0.0);
  for (int i : {0, 1, 2, 4}) EXPECT_EQ(free.completed[i], 12) << i;
  EXPECT_NEAR(free.finals[0], std::pow(1.05, 12), 1e-12);
  EXPECT_EQ(free.completed[3], 2);

  // the same on one rank alone, bit for bit
  if (iff::test::rank() == 0) {
    const auto one = run_on(MPI_COMM_SELF, n, 1.5);
    EXPECT_EQ(one.finals, all.finals);
    EXPECT_EQ(one.completed, all.completed);
  }
}

TEST(RolloutEngine, ShareCoversEveryItemOnce) {
  for (int size = 1; size <= 5; ++size) {
    int next = 0;
    for (int r = 0; r < size; ++r) {
      const auto [a, b] = iff::share_range(7, r, size);
      EXPECT_EQ(a, next);
      EXPECT_GE(b - a, 7 / size);
      EXPECT_LE(b - a, 7 / size + 1);
      next = b;
    }
    EXPECT_EQ(next, 7);
  }
}

// A rollout stopped after 3 steps and continued from its trajectories (first_step = 3) ends
// where the uninterrupted one does, bit for bit: the band's reference stays the initial
// state's energy (a continuation that took its own state's would stop a step later).
TEST(RolloutEngine, ContinuedRunEqualsTheUninterruptedOne) {
  const int n = 5;
  const auto [first, last] = iff::share_range(n, iff::test::rank(), iff::test::size());
  auto initial = [&] {
    std::vector<Trajectory> local;
    for (int i = first; i < last; ++i) {
      Trajectory t;
      t.id = i;
      t.label = "test " + std::to_string(i);
      const double s = (i == 3 ? -1.0 : 1.0) * (1.0 + 0.1 * i);
      t.history.push_back(Field(6, s));
      t.history.push_back(Field(6, s * (i == 2 ? 2.0 : 1.0)));
      for (auto& f : t.history) f[1] = 10.0 * (1 + i) * f[2];
      local.push_back(std::move(t));
    }
    return local;
  };
  auto run = [&](std::vector<Trajectory>& local, int first_step, int steps) {
    iff::rollout::RolloutParams p;
    p.steps = steps;
    p.first_step = first_step;
    p.energy_band = 1.5;
    p.progress_seconds = 1e9;
    Recurrence rec(1.05, 0.0);
    std::vector<int> observed;
    iff::rollout::RolloutEngine(p, MPI_COMM_WORLD)
        .run(
            rec, local, [](const Field& u) { return 0.5 * u[0] * u[0]; },
            [](int, int) -> std::optional<double> { return std::nullopt; },
            [&](int step, const std::vector<Trajectory>&) { observed.push_back(step); });
    return observed;
  };
  auto whole = initial();
  EXPECT_EQ(run(whole, 0, 12).size(), 13u);
  auto part = initial();
  EXPECT_EQ(run(part, 0, 3), (std::vector<int>{0, 1, 2, 3}));
  // what a resume restores: history, progress, and the initial energy
  std::vector<Trajectory> restored;
  for (const auto& t : part) {
    Trajectory r;
    r.id = t.id, r.label = t.label, r.history = t.history, r.alive = t.alive, r.completed = t.completed;
    r.stop_reason = t.stop_reason, r.initial_energy = t.initial_energy;
    restored.push_back(std::move(r));
  }
  EXPECT_EQ(run(restored, 3, 12), (std::vector<int>{4, 5, 6, 7, 8, 9, 10, 11, 12}));
  ASSERT_EQ(restored.size(), whole.size());
  for (std::size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(restored[i].completed, whole[i].completed) << whole[i].id;
    EXPECT_EQ(restored[i].alive, whole[i].alive) << whole[i].id;
    EXPECT_EQ(restored[i].state(), whole[i].state()) << whole[i].id;
    EXPECT_EQ(restored[i].stop_reason, whole[i].stop_reason) << whole[i].id;
  }
}
