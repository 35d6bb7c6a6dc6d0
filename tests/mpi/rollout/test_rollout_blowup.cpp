// Blow-up guard through the rollout command: an FNO whose weights are scaled up grows its
// state without bound until it is non-finite; the command names the trajectory, the step
// and the cause, exits non-zero, and leaves a readable prediction series that ends at the
// last good step (the other trajectory's output is as valid).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>

#include "io/run_cost.hpp"
#include "io/series.hpp"
#include "operators/checkpoint.hpp"
#include "operators/model.hpp"
#include "tests/support/test_support.hpp"

namespace ops = iff::operators;

TEST(RolloutBlowUp, ScaledWeightsTriggerTheGuard) {
  if (iff::test::rank() != 0) return;  // the command runs in its own process
  const auto dir = iff::test::temp_dir("blowup");
  // a series with two smooth initial states on 8 x 9 x 4
  iff::SeriesMeta m;
  m.kind = "fdns";
  m.n_traj = 2;
  m.dtype = iff::h5::DType::f64;
  m.lx = 2 * M_PI;
  m.lz = M_PI;
  for (int i = 0; i < 8; ++i) m.x.push_back(m.lx * i / 8);
  m.y = iff::gauss_lobatto_y(9);
  for (int k = 0; k < 4; ++k) m.z.push_back(m.lz * k / 4);
  {
    iff::SeriesWriter w(dir + "/s.h5", m);
    for (int tr = 0; tr < 2; ++tr) {
      std::vector<double> v(m.snapshot_size());
      for (std::size_t p = 0; p < v.size() / 3; ++p) {
        const int j = (p / 4) % 9;
        v[3 * p] = (1 - m.y[j] * m.y[j]) * (1 + 0.1 * tr);
        v[3 * p + 1] = 0.01 * std::sin(p + tr);
        v[3 * p + 2] = 0.01 * std::cos(p);
      }
      w.write(0, 0.0, {tr, 1, 0, 8}, v.data());
    }
    w.close();
  }
  // an FNO with every weight multiplied by 40
  ops::ModelSpec spec;
  spec.kind = ops::ModelKind::fno;
  spec.fno.modes_x = 2;
  spec.fno.modes_y = 3;
  spec.fno.modes_z = 2;
  spec.fno.width = 4;
  spec.fno.n_layer = 2;
  spec.fno.projection = 8;
  spec.x = m.x;
  spec.y = m.y;
  spec.z = m.z;
  spec.lx = m.lx;
  spec.lz = m.lz;
  torch::manual_seed(0);
  auto model = ops::make_model(spec);
  {
    torch::NoGradGuard g;
    for (auto& p : model.module->parameters()) p.mul_(40.0);
  }
  ops::CheckpointData data;
  data.spec = spec;
  data.norm = ops::Normalization::identity();
  ops::save_checkpoint(dir + "/big.ckpt", model, data);

  std::ofstream(dir + "/roll.yaml") << "rollout:\n  checkpoint: " << dir << "/big.ckpt\n  series: " << dir
                                    << "/s.h5\n  initial: all\n  steps: 60\n  energy_band: 0\n  threads: 1\n"
                                    << "output:\n  dir: " << dir << "/out\n  vtk_every: 0\n  progress_seconds: 0\n";
  std::string out;
  const int status = iff::test::run(iff::test::exe() + " rollout " + dir + "/roll.yaml", &out);
  EXPECT_NE(status, 0) << out;
  EXPECT_NE(out.find("trajectory 0"), std::string::npos) << out;
  EXPECT_NE(out.find("non-finite state"), std::string::npos) << out;
  EXPECT_NE(out.find("stopped at step"), std::string::npos) << out;

  iff::SeriesReader r(dir + "/out/prediction.h5");
  const auto done = r.file().read_vector("/completed_steps");
  ASSERT_EQ(done.size(), 2u);
  for (int tr = 0; tr < 2; ++tr) {
    EXPECT_GT(done[tr], 0) << "the state grew for at least one step";
    EXPECT_LT(done[tr], 60) << "trajectory " << tr << " ran to the end";
    // the last good step is written and finite
    const auto v = r.read_velocity(tr, static_cast<int>(done[tr]));
    for (double x : v) ASSERT_TRUE(std::isfinite(x));
  }
  EXPECT_GE(r.n_time(), static_cast<int>(std::max(done[0], done[1])) + 1);
  // the cost counts each trajectory up to its stop (dt = 1: a series of one snapshot)
  const auto cost = iff::read_run_cost(dir + "/out/cost.csv");
  EXPECT_DOUBLE_EQ(cost.simulated_time, 60.0);
  ASSERT_TRUE(cost.trajectory_time.has_value());
  EXPECT_DOUBLE_EQ(*cost.trajectory_time, done[0] + done[1]);
}
