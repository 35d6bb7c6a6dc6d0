// `ifactflow rollout --resume`: a rollout killed by SIGKILL (IFF_ROLLOUT_KILL_AFTER) or
// stopped by SIGTERM reaching rank 0 alone (IFF_ROLLOUT_SIGNAL_AFTER, exit status 75) keeps
// a consistent record of its progress (prediction.h5's /completed_steps, rollout.csv and
// cost.csv at the last flush), refuses to start again without --resume, and is continued
// with --resume to the uninterrupted run's prediction, CSV and VTK collection bit for bit, at
// 1 and 2 ranks.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/h5.hpp"
#include "io/series.hpp"
#include "operators/checkpoint.hpp"
#include "operators/model.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;
namespace ops = iff::operators;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<double> read(const std::string& path, const std::string& dataset) {
  return iff::h5::File::open(path).read_vector(dataset);
}

/// Rows of rollout.csv (header excluded).
long csv_rows(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  long n = -1;
  while (std::getline(in, line)) n += line.empty() ? 0 : 1;
  return n;
}

/// Three smooth initial states on 8 x 9 x 4, two snapshots each (dt 0.5), and an FNO.
void make_inputs(const std::string& dir) {
  iff::SeriesMeta m;
  m.kind = "fdns";
  m.n_traj = 3;
  m.dtype = iff::h5::DType::f64;
  m.lx = 2 * M_PI;
  m.lz = M_PI;
  for (int i = 0; i < 8; ++i) m.x.push_back(m.lx * i / 8);
  m.y = iff::gauss_lobatto_y(9);
  for (int k = 0; k < 4; ++k) m.z.push_back(m.lz * k / 4);
  {
    iff::SeriesWriter w(dir + "/s.h5", m);
    for (int s = 0; s < 2; ++s)
      for (int tr = 0; tr < 3; ++tr) {
        std::vector<double> v(m.snapshot_size());
        for (std::size_t p = 0; p < v.size() / 3; ++p) {
          const int j = (p / 4) % 9;
          v[3 * p] = (1 - m.y[j] * m.y[j]) * (1 + 0.1 * tr + 0.01 * s);
          v[3 * p + 1] = 0.01 * std::sin(p + tr + s);
          v[3 * p + 2] = 0.01 * std::cos(p + s);
        }
        w.write(s, 0.5 * s, {tr, 1, 0, 8}, v.data());
      }
    w.close();
  }
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
  ops::CheckpointData data;
  data.spec = spec;
  data.norm = ops::Normalization::identity();
  ops::save_checkpoint(dir + "/fno.ckpt", model, data);
  // flushes after steps 3, 7, 11 and 12 (the buffer holds 4 snapshots, step 0's included)
  std::ofstream(dir + "/roll.yaml") << "rollout:\n  checkpoint: " << dir << "/fno.ckpt\n  series: " << dir
                                    << "/s.h5\n  initial: all\n  steps: 12\n  energy_band: 0\n  threads: 1\n"
                                    << "output:\n  series_buffer: 4\n  vtk_every: 5\n  progress_seconds: 0\n";
}

void expect_same_outputs(const std::string& ref, const std::string& out, const std::string& what) {
  for (const char* ds : {"/velocity", "/time", "/completed_steps", "/initial_time"})
    EXPECT_EQ(read(out + "/prediction.h5", ds), read(ref + "/prediction.h5", ds)) << what << " " << ds;
  EXPECT_EQ(slurp(out + "/rollout.csv"), slurp(ref + "/rollout.csv")) << what;
  EXPECT_EQ(slurp(out + "/vtk/rollout_traj0.pvd"), slurp(ref + "/vtk/rollout_traj0.pvd")) << what;
  EXPECT_EQ(slurp(out + "/stats/profiles.csv"), slurp(ref + "/stats/profiles.csv")) << what;
  EXPECT_TRUE(fs::exists(out + "/cost.csv")) << what;
  EXPECT_FALSE(fs::exists(out + "/rollout.state.h5")) << what << ": a finished rollout keeps no state";
}

}  // namespace

TEST(RolloutResume, KilledOrSignalledRunsResumeToTheUninterruptedPrediction) {
  if (iff::test::rank() != 0) return;  // the command runs in its own processes
  const auto dir = iff::test::temp_dir("rollout-resume");
  make_inputs(dir);
  const std::string exe = iff::test::exe(), case_ = dir + "/roll.yaml";
  for (int ranks : {1, 2}) {
    const std::string launch = ranks == 1 ? std::string() : iff::test::mpirun(ranks);
    auto env = [&](const std::string& kv) { return ranks == 1 ? kv + " " : launch + "-x " + kv + " "; };
    auto rollout = [&](const std::string& prefix, const std::string& out, const std::string& extra, std::string* log) {
      return iff::test::run(prefix + exe + " rollout " + case_ + " --set output.dir=" + out + " " + extra, log);
    };
    const std::string ref = dir + "/ref" + std::to_string(ranks);
    std::string log;
    ASSERT_EQ(rollout(launch, ref, "", &log), 0) << log;
    ASSERT_EQ(read(ref + "/prediction.h5", "/completed_steps"), std::vector<double>(3, 12.0));

    // SIGKILL after step 6: the records stand at the flush after step 3
    const std::string killed = dir + "/killed" + std::to_string(ranks);
    const std::string what = std::to_string(ranks) + " rank(s)";
    EXPECT_NE(rollout(env("IFF_ROLLOUT_KILL_AFTER=6"), killed, "", &log), 0) << what << "\n" << log;
    ASSERT_TRUE(fs::exists(killed + "/rollout.state.h5")) << what << "\n" << log;
    EXPECT_EQ(read(killed + "/prediction.h5", "/completed_steps"), std::vector<double>(3, 3.0)) << what;
    EXPECT_EQ(read(killed + "/prediction.h5", "/initial_time"), read(ref + "/prediction.h5", "/initial_time")) << what;
    EXPECT_EQ(csv_rows(killed + "/rollout.csv"), 3 * 4) << what;  // steps 0..3 of 3 trajectories
    EXPECT_TRUE(fs::exists(killed + "/cost.csv")) << what;
    // compare reads the partial prediction over the steps its records stand at
    std::ofstream(dir + "/compare.yaml") << "reference: {file: " << dir << "/s.h5, label: reference}\n"
                                         << "candidates:\n  - {label: killed, file: " << killed << "/prediction.h5}\n"
                                         << "horizons: [1]\nre_tau: 180\nspectra_y_plus: [15]\nslice: {step: 1}\n"
                                         << "output: {dir: " << killed << "-compare, plot: false}\n";
    EXPECT_EQ(iff::test::run(launch + exe + " compare " + dir + "/compare.yaml", &log), 0) << what << "\n" << log;
    EXPECT_NE(log.find("candidate killed: partial, 3 of 12 steps"), std::string::npos) << what << "\n" << log;
    EXPECT_NE(slurp(killed + "-compare/summary.md").find("candidate killed: partial, 3 of 12 steps"), std::string::npos)
        << what;
    // without --resume: refused in one line, nothing touched
    const auto before = read(killed + "/prediction.h5", "/completed_steps");
    EXPECT_EQ(rollout(launch, killed, "", &log), 1) << what << "\n" << log;
    EXPECT_NE(log.find("holds an unfinished rollout (3 of 12 steps"), std::string::npos) << what << "\n" << log;
    EXPECT_NE(log.find("rerun with --resume"), std::string::npos) << what << "\n" << log;
    EXPECT_EQ(read(killed + "/prediction.h5", "/completed_steps"), before) << what;
    // a second kill after the resume's step 9, then to the end
    EXPECT_NE(rollout(env("IFF_ROLLOUT_KILL_AFTER=9"), killed, "--resume", &log), 0) << what << "\n" << log;
    EXPECT_EQ(read(killed + "/prediction.h5", "/completed_steps"), std::vector<double>(3, 7.0)) << what;
    ASSERT_EQ(rollout(launch, killed, "--resume", &log), 0) << what << "\n" << log;
    EXPECT_NE(log.find("resuming"), std::string::npos) << log;
    expect_same_outputs(ref, killed, what + ", killed twice");

    // SIGTERM to rank 0 after step 5: every rank stops there with the state written
    const std::string stopped = dir + "/signalled" + std::to_string(ranks);
    EXPECT_EQ(rollout(env("IFF_ROLLOUT_SIGNAL_AFTER=5"), stopped, "", &log), 75) << what << "\n" << log;
    EXPECT_NE(log.find("ifactflow: interrupted: rollout: stopped by"), std::string::npos) << what << "\n" << log;
    EXPECT_NE(log.find("after step 5 of 12"), std::string::npos) << what << "\n" << log;
    EXPECT_NE(log.find("--resume"), std::string::npos) << what << "\n" << log;
    EXPECT_EQ(log.find("MPI_ABORT"), std::string::npos) << what << "\n" << log;
    EXPECT_EQ(read(stopped + "/prediction.h5", "/completed_steps"), std::vector<double>(3, 5.0)) << what;
    EXPECT_EQ(csv_rows(stopped + "/rollout.csv"), 3 * 6) << what;
    ASSERT_EQ(rollout(launch, stopped, "--resume", &log), 0) << what << "\n" << log;
    expect_same_outputs(ref, stopped, what + ", signalled");
  }
}
