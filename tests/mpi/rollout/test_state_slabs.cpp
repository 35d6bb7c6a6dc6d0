// States split in x-slabs over the ranks (rollout.ranks_per_trajectory): the kinetic
// energy, the centre-line velocity and the errors measured from each rank's planes equal
// those of the whole state (to 1e-14 relative: only the order of the sums changes; bit for
// bit on one rank), so do the profiles and spectra of the statistics, and the engine stops a trajectory whose state is non-finite on one slab
// only on every rank of the group, at the same step.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "analysis/channel_statistics.hpp"
#include "analysis/field_errors.hpp"
#include "analysis/field_measures.hpp"
#include "io/partition.hpp"
#include "rollout/engine.hpp"
#include "tests/support/test_support.hpp"

namespace an = iff::analysis;
using iff::rollout::Field;
using iff::rollout::Trajectory;

namespace {

constexpr int kNx = 7, kNy = 9, kNz = 4;

iff::SeriesMeta meta() {
  iff::SeriesMeta m;
  m.x = std::vector<double>(kNx);
  for (int i = 0; i < kNx; ++i) m.x[i] = 2.0 * M_PI * i / kNx;
  m.y = iff::gauss_lobatto_y(kNy);
  m.z = {0.0, 0.5, 1.0, 1.5};
  return m;
}

/// A whole state [nx][ny][nz][3] with a mean profile and x- and z-dependent fluctuations.
Field state(const iff::SeriesMeta& m, double phase) {
  Field u(m.snapshot_size());
  std::size_t k = 0;
  for (int i = 0; i < kNx; ++i)
    for (int j = 0; j < kNy; ++j)
      for (int l = 0; l < kNz; ++l)
        for (int c = 0; c < 3; ++c)
          u[k++] = (c == 0 ? 1.0 - m.y[j] * m.y[j] : 0.0) + 0.2 * std::sin(m.x[i] + phase * (c + 1)) * std::cos(1.7 * l + j);
  return u;
}

/// This rank's planes of a whole state.
Field planes(const Field& whole, int x0, int nx) {
  const std::size_t plane = std::size_t(kNy) * kNz * 3;
  return Field(whole.begin() + x0 * plane, whole.begin() + (x0 + nx) * plane);
}

double rel(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

}  // namespace

TEST(StateSlabs, MeasuresAndErrorsFromSlabsEqualTheWholeStates) {
  const auto m = meta();
  const int size = iff::test::size();
  const auto [x0, x1] = iff::share_range(kNx, iff::test::rank(), size);
  const int nx = static_cast<int>(x1 - x0);
  const Field a = state(m, 0.3), b = state(m, 0.5);
  const Field a_mine = planes(a, x0, nx), b_mine = planes(b, x0, nx);

  const an::FieldMeasures whole(m), split(m, nx, MPI_COMM_WORLD);
  const double e = whole.kinetic_energy(a.data()), u = whole.centre_u(a.data());
  const auto we = an::field_errors(a.data(), b.data(), kNx, kNy, kNz).values();
  const auto se = an::field_errors(a_mine.data(), b_mine.data(), nx, kNy, kNz, MPI_COMM_WORLD).values();
  EXPECT_LT(rel(split.kinetic_energy(a_mine.data()), e), 1e-14);
  EXPECT_LT(rel(split.centre_u(a_mine.data()), u), 1e-14);
  for (std::size_t q = 0; q < we.size(); ++q) EXPECT_LT(rel(se[q], we[q]), 1e-14) << an::FieldErrors::kNames[q];
  // the control: a slab measured as if it were the whole state is not the whole's measure
  if (size > 1) {
    EXPECT_GT(rel(an::FieldMeasures(m, nx, MPI_COMM_SELF).kinetic_energy(a_mine.data()), e), 1e-3);
  }
  // on one rank the slab path is the serial one, bit for bit
  const an::FieldMeasures self(m, kNx, MPI_COMM_SELF);
  EXPECT_EQ(self.kinetic_energy(a.data()), e);
  EXPECT_EQ(an::field_errors(a.data(), b.data(), kNx, kNy, kNz, MPI_COMM_SELF).values(), we);
}

namespace {

/// u_{n+1} = 1.1 u_n on this rank's planes; at step 3 the last rank's planes of trajectory
/// 1 turn NaN (the other ranks' stay finite).
class Growth : public iff::rollout::Stepper {
 public:
  explicit Growth(bool nan_here) : nan_here_(nan_here) {}
  std::string describe() const override { return "growth"; }
  void advance(const std::vector<int>& ids, const std::vector<std::vector<const Field*>>& h,
               std::vector<Field>& next) override {
    for (std::size_t i = 0; i < h.size(); ++i) {
      next[i] = *h[i][0];
      for (double& v : next[i]) v *= 1.1;
      if (ids[i] == 1 && ++steps_of_1_ == 3 && nan_here_) next[i][0] = std::numeric_limits<double>::quiet_NaN();
    }
  }

 private:
  bool nan_here_;
  int steps_of_1_ = 0;
};

}  // namespace

TEST(StateSlabs, ANonFiniteSlabStopsItsTrajectoryOnEveryRankOfTheGroup) {
  const auto m = meta();
  const int rank = iff::test::rank(), size = iff::test::size();
  const auto [x0, x1] = iff::share_range(kNx, rank, size);
  const int nx = static_cast<int>(x1 - x0);
  std::vector<Trajectory> local(2);
  for (int id = 0; id < 2; ++id) {
    local[id].id = id;
    local[id].label = "test " + std::to_string(id);
    local[id].history.push_back(planes(state(m, 0.1 * id), x0, nx));
  }
  iff::rollout::RolloutParams p;
  p.steps = 5;
  p.energy_band = 10.0;  // the energy (collective over the slabs) is called on every rank
  p.progress_seconds = 1e9;
  const an::FieldMeasures measures(m, nx, MPI_COMM_WORLD);
  // the world is one group holding both trajectories, split over its ranks
  iff::rollout::RolloutEngine engine(p, MPI_COMM_WORLD, MPI_COMM_WORLD);
  Growth growth(rank == size - 1);
  engine.run(
      growth, local, [&](const Field& u) { return measures.kinetic_energy(u.data()); },
      [](int, int) -> std::optional<double> { return std::nullopt; }, [](int, const std::vector<Trajectory>&) {});
  EXPECT_TRUE(local[0].alive);
  EXPECT_EQ(local[0].completed, 5);
  EXPECT_FALSE(local[1].alive);
  EXPECT_EQ(local[1].completed, 2);
  EXPECT_NE(local[1].stop_reason.find("non-finite state"), std::string::npos) << local[1].stop_reason;
  // the energies every rank computed are of the whole state: the same on every rank
  double e = measures.kinetic_energy(local[0].state().data()), lo = e, hi = e;
  MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_EQ(lo, hi);
  // five steps of growth by 1.1: the energy of the whole initial state times 1.1^10
  EXPECT_LT(rel(e, an::FieldMeasures(m).kinetic_energy(state(m, 0.0).data()) * std::pow(1.1, 10)), 1e-13);
}

TEST(StateSlabs, StatisticsFromSlabsEqualTheWholeSnapshots) {
  const auto m = meta();
  const auto [x0, x1] = iff::share_range(kNx, iff::test::rank(), iff::test::size());
  const int nx = static_cast<int>(x1 - x0);
  const std::vector<int> sj = {2, 4};
  an::ChannelStatistics whole(kNx, kNy, kNz, 2 * M_PI, 2.0, m.y, sj), split(kNx, kNy, kNz, 2 * M_PI, 2.0, m.y, sj);
  split.set_slab(nx, MPI_COMM_WORLD);
  for (double phase : {0.1, 0.7, 1.3}) {
    const Field u = state(m, phase);
    whole.add(u.data());
    split.add(planes(u, x0, nx).data());
  }
  split.reduce();
  if (iff::test::rank() != 0) return;  // rank 0 holds the statistics
  auto close = [](const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    double scale = 1.0;  // the field's size: a mean of v cancels to round-off
    for (double x : b) scale = std::max(scale, std::abs(x));
    for (std::size_t q = 0; q < a.size(); ++q) EXPECT_LE(std::abs(a[q] - b[q]), 1e-13 * scale) << what << " " << q;
  };
  for (int c = 0; c < 3; ++c) {
    close(split.mean(c), whole.mean(c), "mean " + std::to_string(c));
    close(split.rms(c), whole.rms(c), "rms " + std::to_string(c));
    for (int s = 0; s < 2; ++s) {
      close(split.spectrum_x(c, s), whole.spectrum_x(c, s), "E(kx)");
      close(split.spectrum_z(c, s), whole.spectrum_z(c, s), "E(kz)");
    }
  }
  close(split.reynolds_shear(), whole.reynolds_shear(), "-<u'v'>");
  EXPECT_EQ(split.samples(), 3);
  // the control: without the reduction a slab's profile is not the whole one
  if (iff::test::size() > 1) {
    an::ChannelStatistics alone(kNx, kNy, kNz, 2 * M_PI, 2.0, m.y);
    alone.set_slab(nx, MPI_COMM_SELF);
    alone.add(planes(state(m, 0.1), x0, nx).data());
    EXPECT_GT(std::abs(alone.mean(0)[kNy / 2] - whole.mean(0)[kNy / 2]), 1e-3);
  }
}
