// MPI data-parallel training on a small series written here: the weights after 3 optimizer
// steps on all ranks of MPI_COMM_WORLD equal those of a serial run (MPI_COMM_SELF) with the
// same global batch, and so do those of samples split in x-slabs over the ranks; runs resumed at an epoch boundary or within an epoch equal an
// uninterrupted one; a signal stops every rank after the same step with a checkpoint; the
// divergence guard (a huge learning rate, a NaN loss or gradient on one rank, a non-finite
// validation loss) stops every rank at the same step and leaves the last good checkpoint.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <sstream>
#include <thread>

#include "io/error.hpp"
#include "io/series.hpp"
#include "operators/checkpoint.hpp"
#include "operators/pair_loader.hpp"
#include "operators/state_dict_import.hpp"
#include "operators/training.hpp"
#include "tests/support/test_support.hpp"

namespace ops = iff::operators;

namespace {

std::string write_series(const std::string& dir) {
  const std::string path = dir + "/series.h5";
  if (iff::test::rank() == 0) {
    iff::SeriesMeta meta;
    meta.kind = "fdns";
    meta.n_traj = 3;
    meta.x = ops::ModelSpec::periodic_axis(4, 2.0);
    meta.y = iff::gauss_lobatto_y(5);
    meta.z = ops::ModelSpec::periodic_axis(4, 1.0);
    meta.lx = 2.0;
    meta.lz = 1.0;
    meta.dtype = iff::h5::DType::f64;
    iff::SeriesWriter w(path, meta, MPI_COMM_SELF);
    const int nx = 4, ny = 5, nz = 4;
    for (int t = 0; t < 5; ++t) {
      std::vector<double> v(3 * nx * ny * nz * 3);
      std::size_t k = 0;
      for (int tr = 0; tr < 3; ++tr)
        for (int i = 0; i < nx; ++i)
          for (int j = 0; j < ny; ++j)
            for (int l = 0; l < nz; ++l)
              for (int c = 0; c < 3; ++c)
                v[k++] = (c == 0 ? 1.0 - meta.y[j] * meta.y[j] : 0.0) +
                         0.3 * std::sin(M_PI * i / 2 + 0.4 * t + tr + c) * std::cos(2 * M_PI * l / nz + 0.7 * t * c) +
                         0.05 * std::sin(3.0 * j + tr * t);
      w.append(0.5 * t, iff::SeriesBlock{0, 3, 0, nx}, v.data());
    }
    w.close();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return path;
}

/// The small training set-up of these tests, writing to `out` (created here).
ops::TrainSetup setup_for(const std::string& series, const std::string& out) {
  ops::TrainSetup s;
  s.data.series = series;
  s.data.val_trajectories = 1;
  s.model.kind = ops::ModelKind::ifactformer_m;
  s.model.ifactformer.dim = 12;
  s.model.ifactformer.heads = 2;
  s.model.ifactformer.dim_head = 4;
  s.model.ifactformer.kernel_multiplier = 1;
  s.model.ifactformer.n_layer = 2;
  s.train.batch_size = 3;  // 8 training pairs: batches of 3, 3, 2 (uneven shards on 2 ranks)
  s.train.epochs = 2;
  s.train.lr = 1e-3;
  s.train.dtype = iff::Precision::float64;
  s.train.threads = 1;
  s.train.seed = 7;
  s.train.progress_interval = 1e9;
  s.output_dir = out;
  s.provenance = "test";
  iff::ensure_directory(out);
  return s;
}

ops::StateDict weights(const std::string& ckpt) {
  auto m = ops::load_model(ckpt);
  return ops::state_dict(*m.module);
}

double max_difference(const ops::StateDict& a, const ops::StateDict& b) {
  double worst = 0;
  for (const auto& [k, v] : a) worst = std::max(worst, (v.to(torch::kFloat64) - b.at(k).to(torch::kFloat64)).abs().max().item<double>());
  return worst;
}

}  // namespace

TEST(TrainMpi, WorldAndSerialRunsReachTheSameWeightsAfterThreeSteps) {
  const auto dir = iff::test::temp_dir("train_mpi_equal");
  const auto series = write_series(dir);
  auto world = setup_for(series, dir + "/world");
  world.train.max_steps = 3;  // crosses the epoch boundary (3 batches per epoch)
  world.train.batch_size = 4;
  auto sw = ops::train_operator(world, MPI_COMM_WORLD);
  EXPECT_EQ(sw.steps, 3);
  auto serial = world;
  serial.output_dir = dir + "/serial" + std::to_string(iff::test::rank());
  iff::ensure_directory(serial.output_dir);
  ops::train_operator(serial, MPI_COMM_SELF);
  auto a = weights(world.output_dir + "/last.ckpt"), b = weights(serial.output_dir + "/last.ckpt");
  torch::manual_seed(7);
  ops::ModelSpec spec = world.model;
  spec.x = {0, 0.5, 1, 1.5};
  spec.y = ops::ModelSpec::chebyshev_axis(5);
  spec.z = {0, 0.25, 0.5, 0.75};
  spec.lx = 2.0;
  spec.lz = 1.0;
  auto initial = ops::state_dict(*ops::make_model(spec).module);
  EXPECT_GT(max_difference(a, initial), 1e-6);  // training moved the weights
  const double diff = max_difference(a, b);
  EXPECT_LT(diff, 1e-12) << "ranks " << iff::test::size();
  if (iff::test::rank() == 0)
    std::cout << "weights after 3 steps, " << iff::test::size() << " rank(s) vs serial: max |diff| " << diff
              << ", moved by " << max_difference(a, initial) << "\n";
}

// A rank of a split sample reads its own x planes alone (every uneven split of 4 planes),
// and they equal those planes of the whole sample.
TEST(TrainMpi, ASplitSampleReadsOnlyItsOwnPlanes) {
  const std::string series = write_series(iff::test::temp_dir("train_mpi_planes"));
  const iff::SeriesReader reader(series);
  const std::vector<ops::Pair> pairs = {{0, 0}, {2, 1}};
  const auto whole = ops::read_batch(reader, pairs, 2);
  for (int x0 = 0; x0 < 4; ++x0)
    for (int nx = 1; x0 + nx <= 4; ++nx) {
      const auto part = ops::read_batch(reader, pairs, 2, {x0, nx});
      ASSERT_EQ(part.input.sizes(), (std::vector<int64_t>{2, 2, nx, 5, 4, 3}));
      ASSERT_EQ(part.target.sizes(), (std::vector<int64_t>{2, nx, 5, 4, 3}));
      EXPECT_TRUE(torch::equal(part.input, whole.input.narrow(2, x0, nx))) << x0 << "+" << nx;
      EXPECT_TRUE(torch::equal(part.target, whole.target.narrow(1, x0, nx))) << x0 << "+" << nx;
    }
  ops::PairLoader loader(reader, 2);
  loader.set_planes({1, 2});
  loader.prefetch(pairs);
  EXPECT_TRUE(torch::equal(loader.take().target, whole.target.narrow(1, 1, 2)));
}

// train.ranks_per_sample = all ranks: one group, every sample split in x-slabs (4 planes:
// 4 at 1 rank, 2 + 2 at 2); the gradient summed over the group is the whole samples', so
// the weights after 4 steps (an epoch end and its validation between) equal a serial run's
// to round-off, and so do the losses in train_log.csv.
TEST(TrainMpi, SamplesSplitInSlabsReachTheSameWeightsAsWholeSamples) {
  const auto dir = iff::test::temp_dir("train_mpi_split");
  const auto series = write_series(dir);
  for (const auto kind : {ops::ModelKind::ifactformer_m, ops::ModelKind::ifactformer_o, ops::ModelKind::fno,
                          ops::ModelKind::ifno}) {
    const std::string name = ops::to_string(kind);
    auto split = setup_for(series, dir + "/split_" + name);
    split.model.kind = kind;
    split.model.fno.modes_x = split.model.fno.modes_y = split.model.fno.modes_z = 2;  // 4 x 5 x 4 planes
    split.model.fno.width = 4;
    split.model.fno.projection = 8;
    split.train.max_steps = 4;  // crosses the end of epoch 1 (3 batches) and its evaluation
    split.train.ranks_per_sample = iff::test::size();
    ops::train_operator(split, MPI_COMM_WORLD);
    auto serial = split;
    serial.train.ranks_per_sample = 1;
    serial.output_dir = dir + "/serial_" + name + std::to_string(iff::test::rank());
    iff::ensure_directory(serial.output_dir);
    ops::train_operator(serial, MPI_COMM_SELF);
    const double diff = max_difference(weights(split.output_dir + "/last.ckpt"), weights(serial.output_dir + "/last.ckpt"));
    EXPECT_LT(diff, 1e-12) << name << ", " << iff::test::size() << " rank(s)";
    // the epoch's training and validation losses (columns 4 and 5 of its row)
    auto losses = [](const std::string& log) {
      std::ifstream in(log);
      std::string header, row;
      std::getline(in, header);
      std::getline(in, row);
      std::vector<double> v;
      std::stringstream cells(row);
      for (std::string c; std::getline(cells, c, ',');) v.push_back(std::stod(c));
      return v;
    };
    const auto a = losses(split.output_dir + "/train_log.csv"), b = losses(serial.output_dir + "/train_log.csv");
    ASSERT_EQ(a.size(), 7u);
    ASSERT_EQ(b.size(), 7u);
    EXPECT_GT(a[4], 0.0);  // a validation loss was computed
    // counted once per group: equal to the 9 digits train_log.csv prints (a loss counted
    // twice would be twice as large)
    for (int c : {3, 4}) EXPECT_NEAR(a[c], b[c], 2e-8 * std::abs(b[c])) << name << " column " << c;
    if (iff::test::rank() == 0)
      std::cout << name << " split over " << iff::test::size() << " rank(s) vs whole samples after 4 steps: max |diff| "
                << diff << "\n";
  }
}

// What the split cannot run is refused in one line before anything is written.
TEST(TrainMpi, SplitSamplesRefuseWhatTheSplitCannotRun) {
  if (iff::test::size() < 2) GTEST_SKIP() << "needs 2 ranks";
  const auto dir = iff::test::temp_dir("train_mpi_split_refused");
  const auto series = write_series(dir);
  auto expect_refused = [&](ops::TrainSetup s, const std::string& words) {
    try {
      ops::train_operator(s, MPI_COMM_WORLD);
      ADD_FAILURE() << "trained with " << words;
    } catch (const iff::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(s.output_dir + "/config.resolved.yaml")) << words;
  };
  auto bf16 = setup_for(series, dir + "/bf16");
  bf16.train.dtype = iff::Precision::float32;
  bf16.train.precision = iff::Arithmetic::bf16_mixed;
  bf16.train.ranks_per_sample = 2;
  expect_refused(bf16, "train.ranks_per_sample = 2 runs the split layers in fp32 arithmetic");
  auto odd = setup_for(series, dir + "/odd");
  odd.train.ranks_per_sample = iff::test::size() + 1;
  expect_refused(odd, "train.ranks_per_sample = " + std::to_string(iff::test::size() + 1) + " needs a rank count it divides");
}

TEST(TrainMpi, ResumeAtAnEpochBoundaryEqualsAnUninterruptedRun) {
  const auto dir = iff::test::temp_dir("train_mpi_resume");
  const auto series = write_series(dir);
  auto straight = setup_for(series, dir + "/straight");
  auto s1 = ops::train_operator(straight, MPI_COMM_WORLD);
  EXPECT_EQ(s1.epochs, 2);
  EXPECT_EQ(s1.steps, 6);
  EXPECT_GE(s1.val_loss, 0.0);
  auto parts = setup_for(series, dir + "/parts");
  parts.train.epochs = 1;
  ops::train_operator(parts, MPI_COMM_WORLD);
  parts.train.epochs = 2;
  parts.resume = true;
  auto s2 = ops::train_operator(parts, MPI_COMM_WORLD);
  EXPECT_EQ(s2.steps, 6);
  EXPECT_EQ(max_difference(weights(straight.output_dir + "/last.ckpt"), weights(parts.output_dir + "/last.ckpt")), 0.0);
  EXPECT_EQ(s2.train_loss, s1.train_loss);
  EXPECT_EQ(s2.val_loss, s1.val_loss);
  // the log holds both epochs, the best checkpoint exists
  std::ifstream csv(parts.output_dir + "/train_log.csv");
  int lines = 0;
  for (std::string l; std::getline(csv, l);) ++lines;
  EXPECT_EQ(lines, 3);
  EXPECT_TRUE(std::ifstream(parts.output_dir + "/best.ckpt").good());
}

// A run stopped within an epoch (max_steps, the path checkpoint_every and a cut batch job
// take) and resumed from there, twice, equals an uninterrupted run: same weights, losses and
// log. The last.ckpt of a stop records the batches taken and the epoch's loss so far.
TEST(TrainMpi, ResumeWithinAnEpochEqualsAnUninterruptedRun) {
  const auto dir = iff::test::temp_dir("train_mpi_resume_within");
  const auto series = write_series(dir);
  auto straight = setup_for(series, dir + "/straight");
  auto s1 = ops::train_operator(straight, MPI_COMM_WORLD);
  ASSERT_EQ(s1.steps, 6);  // 3 batches per epoch
  auto parts = setup_for(series, dir + "/parts");
  parts.train.max_steps = 2;  // stops after batch 2 of epoch 1
  auto a = ops::train_operator(parts, MPI_COMM_WORLD);
  EXPECT_EQ(a.epochs, 0);
  EXPECT_EQ(a.steps, 2);
  ops::CheckpointData d;
  ops::load_model(parts.output_dir + "/last.ckpt", &d);
  EXPECT_EQ(d.progress.epoch, 0);
  EXPECT_EQ(d.progress.batch, 2);
  EXPECT_EQ(d.progress.epoch_samples, 6.0);
  EXPECT_GT(d.progress.epoch_loss_sum, 0.0);
  parts.resume = true;
  parts.train.max_steps = 4;  // through the end of epoch 1 and batch 1 of epoch 2
  auto b = ops::train_operator(parts, MPI_COMM_WORLD);
  EXPECT_EQ(b.epochs, 1);
  EXPECT_EQ(b.steps, 4);
  parts.train.max_steps = 0;
  auto c = ops::train_operator(parts, MPI_COMM_WORLD);
  EXPECT_EQ(c.epochs, 2);
  EXPECT_EQ(c.steps, 6);
  EXPECT_EQ(max_difference(weights(straight.output_dir + "/last.ckpt"), weights(parts.output_dir + "/last.ckpt")), 0.0);
  EXPECT_EQ(c.train_loss, s1.train_loss);
  EXPECT_EQ(c.val_loss, s1.val_loss);
  // the first epoch's row, logged by the second run, has the uninterrupted run's loss
  auto row = [](const std::string& path, int n) {
    std::ifstream csv(path);
    std::string l;
    for (int i = 0; i <= n && std::getline(csv, l);) ++i;
    return l.substr(0, l.find(',', l.find(',', l.find(',', l.find(',') + 1) + 1) + 1));  // epoch,step,lr,train_loss
  };
  EXPECT_EQ(row(parts.output_dir + "/train_log.csv", 1), row(straight.output_dir + "/train_log.csv", 1));
  EXPECT_EQ(row(parts.output_dir + "/train_log.csv", 2), row(straight.output_dir + "/train_log.csv", 2));
  // resuming a run that has reached max_steps takes no step
  parts.train.max_steps = 6;
  auto e = ops::train_operator(parts, MPI_COMM_WORLD);
  EXPECT_EQ(e.steps, 6);
}

// SIGUSR1 to one rank (raised on rank 0 by a thread, every 200 ms until training returns,
// under a do-nothing handler of the test's own so that an early one is harmless): every rank
// stops after the same step, last.ckpt holds that state, the summary says so, its weights
// equal those of a run told to stop after that many steps, and the test's handler is back.
extern "C" void ignore_signal(int) {}

TEST(TrainMpi, ASignalStopsAllRanksAfterTheSameStepWithACheckpoint) {
  const auto dir = iff::test::temp_dir("train_mpi_signal");
  const auto series = write_series(dir);
  auto run = setup_for(series, dir + "/signalled");
  run.train.epochs = 100000;
  struct sigaction mine {}, previous {};
  mine.sa_handler = ignore_signal;
  sigemptyset(&mine.sa_mask);
  sigaction(SIGUSR1, &mine, &previous);
  std::atomic<bool> done{false};
  std::thread raiser;
  if (iff::test::rank() == 0)
    raiser = std::thread([&done] {
      while (!done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        if (!done) std::raise(SIGUSR1);
      }
    });
  auto s = ops::train_operator(run, MPI_COMM_WORLD);
  done = true;
  if (raiser.joinable()) raiser.join();
  struct sigaction now {};
  sigaction(SIGUSR1, &previous, &now);
  EXPECT_EQ(now.sa_handler, &ignore_signal);  // train_operator put the test's handler back
  EXPECT_TRUE(s.interrupted);
  EXPECT_GT(s.steps, 0);
  EXPECT_LT(s.steps, 3 * 100000);
  long steps[2] = {static_cast<long>(s.steps), -static_cast<long>(s.steps)};
  MPI_Allreduce(MPI_IN_PLACE, steps, 2, MPI_LONG, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_EQ(steps[0], -steps[1]) << "ranks stopped after different steps";
  ops::CheckpointData d;
  ops::load_model(run.output_dir + "/last.ckpt", &d);
  EXPECT_EQ(d.progress.step, s.steps);
  auto straight = setup_for(series, dir + "/straight");
  straight.train.epochs = 100000;
  straight.train.max_steps = s.steps;
  auto t = ops::train_operator(straight, MPI_COMM_WORLD);
  EXPECT_FALSE(t.interrupted);
  EXPECT_EQ(max_difference(weights(straight.output_dir + "/last.ckpt"), weights(run.output_dir + "/last.ckpt")), 0.0);
}

// Resuming within an epoch with another batch size would take other batches: refused.
TEST(TrainMpi, ResumeWithinAnEpochRequiresTheSameBatches) {
  const auto dir = iff::test::temp_dir("train_mpi_resume_batch");
  const auto series = write_series(dir);
  auto parts = setup_for(series, dir + "/parts");
  parts.train.max_steps = 1;
  ops::train_operator(parts, MPI_COMM_WORLD);
  parts.resume = true;
  parts.train.max_steps = 0;
  parts.train.batch_size = 2;
  try {
    ops::train_operator(parts, MPI_COMM_WORLD);
    ADD_FAILURE() << "resumed with another batch size";
  } catch (const iff::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("train.batch_size 3"), std::string::npos) << e.what();
  }
}

// ------------------------------------------------------------------------ divergence guard

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Whether every rank holds the same `text` (its length and a hash, max = min over ranks).
bool same_on_all_ranks(const std::string& text) {
  long v[4] = {static_cast<long>(text.size()), -static_cast<long>(text.size()),
               static_cast<long>(std::hash<std::string>{}(text) >> 2), -static_cast<long>(std::hash<std::string>{}(text) >> 2)};
  MPI_Allreduce(MPI_IN_PLACE, v, 4, MPI_LONG, MPI_MAX, MPI_COMM_WORLD);
  return v[0] == -v[1] && v[2] == -v[3];
}

/// Runs `s` expecting iff::NumericalError on every rank; returns its message ("" if none).
std::string diverging_run(const ops::TrainSetup& s) {
  try {
    ops::train_operator(s, MPI_COMM_WORLD);
    ADD_FAILURE() << "training did not stop";
  } catch (const iff::NumericalError& e) {
    EXPECT_TRUE(same_on_all_ranks(e.what())) << "ranks stopped differently: " << e.what();
    return e.what();
  }
  return "";
}

}  // namespace

// The case: at lr 10 the loss grew to 1e12 and training went on. Two epochs at lr 1e-3
// (last.ckpt after step 6), then a resume at lr 10: every rank stops at the same step, with a
// message naming that step, the loss, the best so far and last.ckpt at step 6, which is left as
// it was; with the guard off the same run takes all its steps.
TEST(TrainGuard, ALossFarAboveTheBestStopsEveryRankAndKeepsTheLastGoodCheckpoint) {
  const auto dir = iff::test::temp_dir("train_guard_lr10");
  const auto series = write_series(dir);
  auto run = setup_for(series, dir + "/run");
  run.command = "ifactflow train guard.yaml";
  ops::train_operator(run, MPI_COMM_WORLD);
  const std::string good = read_bytes(run.output_dir + "/last.ckpt"), best = read_bytes(run.output_dir + "/best.ckpt");
  const std::string log = read_bytes(run.output_dir + "/train_log.csv");
  auto fast = run;
  fast.resume = true;
  fast.train.lr = 10;
  fast.train.epochs = 40;
  const std::string what = diverging_run(fast);
  if (iff::test::rank() == 0) std::cout << "lr 10: " << what << "\n";
  EXPECT_NE(what.find("train: diverged: batch loss "), std::string::npos) << what;
  EXPECT_NE(what.find("exceeds train.divergence_factor 100 x the best so far"), std::string::npos) << what;
  EXPECT_NE(what.find("last good checkpoint " + run.output_dir + "/last.ckpt (step 6)"), std::string::npos) << what;
  EXPECT_NE(what.find("ifactflow train guard.yaml --resume --set train.lr=1"), std::string::npos) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  EXPECT_EQ(read_bytes(run.output_dir + "/last.ckpt"), good) << "the diverged state was written over last.ckpt";
  EXPECT_EQ(read_bytes(run.output_dir + "/best.ckpt"), best);
  EXPECT_EQ(read_bytes(run.output_dir + "/train_log.csv"), log);
  // the step it names is within the resumed run, long before its end
  const auto at = what.find(" at step ");
  ASSERT_NE(at, std::string::npos) << what;
  const long stopped = std::stol(what.substr(at + 9));
  EXPECT_GT(stopped, 6);
  EXPECT_LT(stopped, 20);
  // without the guard: no stop, the loss ends far above the sound run's
  auto unguarded = setup_for(series, dir + "/unguarded");
  if (iff::test::rank() == 0) {
    std::filesystem::copy_file(run.output_dir + "/last.ckpt", unguarded.output_dir + "/last.ckpt");
    std::filesystem::copy_file(run.output_dir + "/train_log.csv", unguarded.output_dir + "/train_log.csv");
  }
  MPI_Barrier(MPI_COMM_WORLD);
  unguarded.resume = true;
  unguarded.train.lr = 10;
  unguarded.train.epochs = 12;
  unguarded.train.divergence_factor = 0;
  ops::CheckpointData d;
  ops::load_model(run.output_dir + "/last.ckpt", &d);
  try {
    auto s = ops::train_operator(unguarded, MPI_COMM_WORLD);
    EXPECT_EQ(s.steps, 36);  // the guarded run stopped at step 8
    if (iff::test::rank() == 0)
      std::cout << "lr 10 unguarded: 36 steps, last epoch's train loss " << s.train_loss << " (best val loss before "
                << d.progress.best_val_loss << ")\n";
  } catch (const iff::NumericalError& e) {  // only the non-finite check is left
    if (iff::test::rank() == 0) std::cout << "lr 10 unguarded: " << e.what() << "\n";
    EXPECT_NE(std::string(e.what()).find("batch loss nan"), std::string::npos) << e.what();
  }
}

// A NaN in one rank's shard loss (the last rank's, at step 5 of 6, after last.ckpt of step 4):
// every rank stops before that step, naming the non-finite loss and last.ckpt (step 4), which
// holds finite weights; an infinite gradient on one rank, with a finite loss, stops the same way.
TEST(TrainGuard, ANonFiniteLossOrGradientOnOneRankStopsEveryRank) {
  const auto dir = iff::test::temp_dir("train_guard_nan");
  const auto series = write_series(dir);
  const int last = iff::test::size() - 1;
  auto run = setup_for(series, dir + "/loss");
  run.train.checkpoint_every = 1;
  run.on_loss = [last](int64_t step, bool validation, at::Tensor loss) {
    return !validation && step == 4 && iff::test::rank() == last ? loss * std::nan("") : loss;
  };
  std::string what = diverging_run(run);
  EXPECT_NE(what.find("train: diverged: batch loss nan at step 5 (epoch 2, batch 2/3)"), std::string::npos) << what;
  EXPECT_NE(what.find("last good checkpoint " + run.output_dir + "/last.ckpt (step 4)"), std::string::npos) << what;
  ops::CheckpointData d;
  auto w = weights(run.output_dir + "/last.ckpt");
  ops::load_model(run.output_dir + "/last.ckpt", &d);
  EXPECT_EQ(d.progress.step, 4);
  for (const auto& [k, v] : w) EXPECT_TRUE(torch::isfinite(v).all().item<bool>()) << k;

  auto grad = setup_for(series, dir + "/gradient");
  grad.on_gradient = [last](int64_t step, at::Tensor& flat) {
    if (step == 1 && iff::test::rank() == last) flat[flat.numel() / 2] = std::numeric_limits<double>::infinity();
  };
  what = diverging_run(grad);
  EXPECT_NE(what.find("train: diverged: non-finite gradient norm at step 2 (epoch 1, batch 2/3)"), std::string::npos) << what;
  EXPECT_NE(what.find("no checkpoint written yet; start again with a lower learning rate: ifactflow train CASE --set train.lr=0.0001"),
            std::string::npos)
      << what;
  EXPECT_FALSE(std::filesystem::exists(grad.output_dir + "/last.ckpt"));
}

// A non-finite validation loss stops training after that epoch's validation, before its
// checkpoints: last.ckpt and best.ckpt stay those of the epoch before.
TEST(TrainGuard, ANonFiniteValidationLossStopsBeforeTheEpochsCheckpoints) {
  const auto dir = iff::test::temp_dir("train_guard_val");
  const auto series = write_series(dir);
  auto run = setup_for(series, dir + "/run");
  run.train.epochs = 3;
  run.on_loss = [](int64_t step, bool validation, at::Tensor loss) {
    return validation && step == 6 && iff::test::rank() == 0 ? loss * std::numeric_limits<double>::infinity() : loss;
  };
  const std::string what = diverging_run(run);
  EXPECT_NE(what.find("train: diverged: validation loss inf after epoch 2 (step 6), best so far "), std::string::npos) << what;
  EXPECT_NE(what.find("last.ckpt (step 3)"), std::string::npos) << what;
  ops::CheckpointData d;
  ops::load_model(run.output_dir + "/last.ckpt", &d);
  EXPECT_EQ(d.progress.step, 3);
  ops::load_model(run.output_dir + "/best.ckpt", &d);
  EXPECT_EQ(d.progress.step, 3);
}

// After a divergence, `--resume` with a lower rate continues from last.ckpt and finishes; the
// run equals one resumed at that
// rate from the same checkpoint without the divergence in between.
TEST(TrainGuard, ResumeWithALowerLearningRateContinuesAndFinishes) {
  const auto dir = iff::test::temp_dir("train_guard_resume");
  const auto series = write_series(dir);
  auto run = setup_for(series, dir + "/run");
  run.train.epochs = 1;
  ops::train_operator(run, MPI_COMM_WORLD);
  auto other = setup_for(series, dir + "/other");  // the same first epoch, resumed directly
  other.train.epochs = 1;
  ops::train_operator(other, MPI_COMM_WORLD);
  run.resume = true;
  run.train.epochs = 10;
  run.train.lr = 10;
  diverging_run(run);
  run.train.epochs = 3;
  run.train.lr = 2e-4;
  auto s = ops::train_operator(run, MPI_COMM_WORLD);
  EXPECT_EQ(s.epochs, 3);
  EXPECT_EQ(s.steps, 9);
  EXPECT_TRUE(std::isfinite(s.train_loss));
  other.resume = true;
  other.train.epochs = 3;
  other.train.lr = 2e-4;
  auto t = ops::train_operator(other, MPI_COMM_WORLD);
  EXPECT_EQ(max_difference(weights(run.output_dir + "/last.ckpt"), weights(other.output_dir + "/last.ckpt")), 0.0);
  EXPECT_EQ(s.train_loss, t.train_loss);
}
