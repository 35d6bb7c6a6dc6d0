// No silent corruption, command by command (1 and 2 ranks):
//   - a full disk (the fault hook, and a small tmpfs where mounting is allowed): one error
//     line naming the file, a non-zero exit, nothing under the final name, no partial file;
//   - NaN or infinity in an input (series, .npy, DNS initial series or checkpoint): one line
//     naming file, trajectory, time index and value, component; nothing written;
//   - `-o` naming a directory fails before any work;
//   - an output folder is locked while a run writes into it: a second run refuses naming
//     the first; a lock left by a killed run is taken over (the same command resumes); a
//     lock of another host is refused naming `ifactflow unlock`;
//   - a run that fails on its input leaves an existing folder's files as they were.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>
#include <thread>

#include "io/h5.hpp"
#include "io/run_lock.hpp"
#include "io/series.hpp"
#include "tests/support/full_disk.hpp"
#include "tests/support/npy_writer.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;

namespace {

struct Result {
  int status;
  std::string output;
};

/// Runs `args` on `ranks` ranks; `env` goes before the command (1 rank) or into mpirun's
/// options (2 ranks).
Result run(const std::string& args, int ranks = 1, const std::string& env = "", const std::string& mpi_env = "") {
  Result r;
  const std::string cmd =
      ranks == 1 ? env + iff::test::exe() + " " + args : iff::test::mpirun(ranks) + mpi_env + iff::test::exe() + " " + args;
  r.status = iff::test::run(cmd, &r.output);
  return r;
}

std::vector<std::string> error_lines(const std::string& out) {
  std::istringstream in(out);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line))
    if (line.find("ifactflow: error") != std::string::npos) lines.push_back(line);
  return lines;
}

/// One error line (one per rank at most under MPI, all alike) holding every needle.
void expect_one_error(const Result& r, const std::vector<std::string>& needles, int ranks, const std::string& what) {
  EXPECT_NE(r.status, 0) << what << ": exit 0\n" << r.output;
  const auto lines = error_lines(r.output);
  ASSERT_GE(lines.size(), 1u) << what << ": no error line\n" << r.output;
  EXPECT_LE(lines.size(), static_cast<std::size_t>(ranks)) << what << "\n" << r.output;
  for (const auto& n : needles) EXPECT_NE(lines[0].find(n), std::string::npos) << what << ": '" << n << "' not in\n" << lines[0];
  if (ranks == 1) {
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line))
      EXPECT_TRUE(line.find("ifactflow: error") != std::string::npos || line.find(" info ") != std::string::npos ||
                  line.find(" warning ") != std::string::npos)
          << what << ": stray line '" << line << "'\n" << r.output;
  }
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> n;
  if (!fs::exists(dir)) return n;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename() != ".filler") n.push_back(e.path().filename().string());
  std::sort(n.begin(), n.end());
  return n;
}

bool any_partial(const std::string& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(".partial") != std::string::npos) return true;
  return false;
}

iff::SeriesMeta series_meta(int nx, int ny, int nz, int n_traj) {
  iff::SeriesMeta m;
  m.kind = "dns";
  m.n_traj = n_traj;
  m.dtype = iff::h5::DType::f64;
  m.has_pressure = true;
  m.lx = M_PI;
  m.lz = 0.3 * M_PI;
  m.re_tau = 180;
  m.nu = 1.0 / 180;
  for (int i = 0; i < nx; ++i) m.x.push_back(m.lx * i / nx);
  m.y = iff::gauss_lobatto_y(ny);
  for (int k = 0; k < nz; ++k) m.z.push_back(m.lz * k / nz);
  return m;
}

/// A series of smooth fields; `poison` puts a NaN at (trajectory, time index, component) there.
void write_series(const std::string& path, const iff::SeriesMeta& m, int n_time, int poison_traj = -1,
                  int poison_t = -1, int poison_c = -1) {
  iff::SeriesWriter w(path, m);
  std::vector<double> v(m.snapshot_size()), p(m.snapshot_size() / 3);
  for (int tr = 0; tr < m.n_traj; ++tr)
    for (int t = 0; t < n_time; ++t) {
      for (int i = 0; i < m.nx(); ++i)
        for (int j = 0; j < m.ny(); ++j)
          for (int k = 0; k < m.nz(); ++k) {
            const std::size_t q = (std::size_t(i) * m.ny() + j) * m.nz() + k;
            const double y = m.y[j];
            v[3 * q] = (1 - y * y) * (1 + 0.1 * std::sin(m.x[i] + 0.3 * t + tr));
            v[3 * q + 1] = 0.05 * (1 - y * y) * std::cos(2 * m.z[k] + t);
            v[3 * q + 2] = 0.05 * (1 - y * y) * std::sin(m.x[i] - m.z[k] + tr);
            p[q] = 0.01 * std::cos(m.x[i] + y + t);
          }
      if (tr == poison_traj && t == poison_t) v[3 * ((std::size_t(1) * m.ny() + 2) * m.nz() + 3) + poison_c] = NAN;
      w.write(t, 0.25 * t, iff::SeriesBlock{tr, 1, 0, m.nx()}, v.data(), p.data());
    }
  w.close();
}

/// A small DNS case file in `dir` writing into `out`.
std::string dns_case(const std::string& dir, const std::string& out, int steps, int snapshot_every = 1) {
  const std::string path = dir + "/dns.yaml";
  std::ofstream(path) << "grid: {nx: 8, ny: 17, nz: 8, lx: 3.141592653589793, lz: 0.9424777960769379}\n"
                      << "physics: {units: centreline, re: 4200, driving: bulk_velocity}\n"
                      << "time: {dt: 0.002, steps: " << steps << "}\n"
                      << "initial: {type: perturbed, amplitude: 0.3, seed: 3}\n"
                      << "output: {dir: " << out << ", csv_every: 1, snapshot_every: " << snapshot_every
                      << ", snapshot_dtype: f64, checkpoint_every: 100000, progress_seconds: 1000}\n";
  return path;
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ------------------------------------------------------------------------ full disk

/// A directory on a full disk: the fault hook or a tmpfs (skipped visibly where refused).
struct FullDisk {
  std::string dir, env, mpi_env, mechanism;
  std::unique_ptr<iff::test::Tmpfs> tmpfs;
  /// Writes under `dir` fail after `bytes` (hook), or the tmpfs has `kib` KiB of which
  /// `leave` bytes are free.
  static std::unique_ptr<FullDisk> make(const std::string& how, const std::string& dir, unsigned long long bytes,
                                        int kib, std::size_t leave) {
    auto d = std::make_unique<FullDisk>();
    d->dir = dir;
    fs::create_directories(dir);
    if (how == "hook") {
      d->env = iff::test::fault_hook_env(dir, bytes);
      d->mpi_env = iff::test::fault_hook_mpirun_options(dir, bytes);
      if (d->env.empty()) return nullptr;
      d->mechanism = "fault hook, ENOSPC after " + std::to_string(bytes) + " bytes";
    } else {
      d->tmpfs = std::make_unique<iff::test::Tmpfs>(dir, kib);
      if (!d->tmpfs->mounted()) return nullptr;
      d->tmpfs->fill(leave);
      d->mechanism = "tmpfs of " + std::to_string(kib) + " KiB, " + std::to_string(leave) + " bytes left";
    }
    std::cout << "[full disk: " << d->mechanism << "]" << std::endl;
    return d;
  }
};

class FullDiskCli : public ::testing::TestWithParam<std::tuple<std::string, int>> {
 protected:
  void SetUp() override {
    how = std::get<0>(GetParam());
    ranks = std::get<1>(GetParam());
    base = iff::test::temp_dir("fulldisk-cli");
  }
  std::unique_ptr<FullDisk> disk(unsigned long long bytes, int kib, std::size_t leave) {
    auto d = FullDisk::make(how, base + "/full", bytes, kib, leave);
    if (!d) std::cout << "[full disk: " << how << " not available here]" << std::endl;
    return d;
  }
  Result run_on(const FullDisk& d, const std::string& args) { return run(args, ranks, d.env, d.mpi_env); }
  std::string how, base;
  int ranks = 1;
};

}  // namespace

TEST_P(FullDiskCli, ImportLeavesNothingUnderTheFinalName) {
  const std::string npy = base + "/in.npy";
  std::vector<double> data(2 * 12 * 16 * 17 * 8 * 4);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = std::sin(0.01 * i);
  iff::test::write_npy(npy, {2, 12, 16, 17, 8, 4}, "<f8", data.data(), data.size() * 8, 1, false, 0);
  auto d = disk(300000, 256, 0);  // the output holds 1.7 MB
  if (!d) GTEST_SKIP() << how << " not available";
  const auto r = run_on(*d, "import " + npy + " -o " + d->dir + "/out.h5");
  expect_one_error(r, {d->dir + "/out.h5", "No space left on device"}, ranks, "import");
  EXPECT_TRUE(names_in(d->dir).empty()) << names_in(d->dir).front();
}

TEST_P(FullDiskCli, FilterLeavesNothingUnderTheFinalName) {
  const std::string in = base + "/fine.h5";
  write_series(in, series_meta(32, 17, 16, 2), 8);
  auto d = disk(300000, 256, 0);  // the output holds 1.1 MB
  if (!d) GTEST_SKIP() << how << " not available";
  const auto r = run_on(*d, "filter " + in + " --grid 16x17x8 -o " + d->dir + "/coarse.h5");
  expect_one_error(r, {d->dir + "/coarse.h5", "No space left on device"}, ranks, "filter");
  EXPECT_TRUE(names_in(d->dir).empty()) << names_in(d->dir).front();
}

TEST_P(FullDiskCli, DnsKeepsNoCheckpointItCouldNotComplete) {
  auto d = disk(60000, 256, 40000);
  if (!d) GTEST_SKIP() << how << " not available";
  const std::string out = d->dir + "/run";
  const auto r = run_on(*d, "dns " + dns_case(base, out, 4));
  expect_one_error(r, {"No space left on device"}, ranks, "dns");
  EXPECT_FALSE(fs::exists(out + "/checkpoint.h5")) << "a checkpoint written on a full disk is under its name";
  EXPECT_FALSE(any_partial(d->dir));
  EXPECT_FALSE(fs::exists(out + "/" + std::string(iff::FolderLock::kFileName))) << "the lock was kept";
}

TEST_P(FullDiskCli, StatsWritesNoTableItCouldNotComplete) {
  const std::string in = base + "/s.h5";
  write_series(in, series_meta(16, 17, 8, 1), 4);
  auto d = disk(3000, 256, 4096);
  if (!d) GTEST_SKIP() << how << " not available";
  const auto r = run_on(*d, "stats " + in + " -o " + d->dir + "/st");
  expect_one_error(r, {d->dir + "/st/", "No space left on device"}, ranks, "stats");
  for (const auto& n : names_in(d->dir + "/st"))
    EXPECT_GT(fs::file_size(d->dir + "/st/" + n), 0u) << n << " is empty";
  EXPECT_FALSE(any_partial(d->dir));
}

INSTANTIATE_TEST_SUITE_P(Mechanisms, FullDiskCli,
                         ::testing::Combine(::testing::Values("hook", "tmpfs"), ::testing::Values(1, 2)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_np" + std::to_string(std::get<1>(info.param));
                         });

// ------------------------------------------------------------------------ non-finite input

class NonFiniteCli : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    ranks = GetParam();
    dir = iff::test::temp_dir("nonfinite-cli");
  }
  std::string dir;
  int ranks = 1;
};

TEST_P(NonFiniteCli, FilterAndStatsNameTheValue) {
  const std::string in = dir + "/nan.h5";
  write_series(in, series_meta(16, 17, 8, 2), 4, /*traj=*/1, /*t=*/2, /*component v=*/1);
  const std::vector<std::string> where = {in, "trajectory 1", "time index 2 (t = 0.5)", "component v",
                                          "(x, y, z) = (1, 2, 3)"};
  expect_one_error(run("filter " + in + " --grid 8x9x4 -o " + dir + "/f.h5", ranks), where, ranks, "filter");
  EXPECT_FALSE(fs::exists(dir + "/f.h5"));
  expect_one_error(run("stats " + in + " -o " + dir + "/st", ranks), where, ranks, "stats");
  EXPECT_FALSE(fs::exists(dir + "/st")) << "stats wrote " << names_in(dir + "/st").size() << " files";
}

TEST_P(NonFiniteCli, ImportNamesTheValue) {
  std::vector<float> data(2 * 3 * 4 * 5 * 3 * 4, 0.5f);
  // trajectory 1, time index 2, point (i, j, k) = (3, 1, 2), component p
  data[(((((1 * 3 + 2) * 4 + 3) * 5 + 1) * 3 + 2) * 4) + 3] = std::numeric_limits<float>::infinity();
  iff::test::write_npy(dir + "/in.npy", {2, 3, 4, 5, 3, 4}, "<f4", data.data(), data.size() * 4, 1, false, 0);
  expect_one_error(run("import " + dir + "/in.npy --dt 0.5 -o " + dir + "/out.h5", ranks),
                   {"npy file " + dir + "/in.npy", "trajectory 1", "time index 2 (t = 1)", "component p",
                    "(x, y, z) = (3, 1, 2)", "inf"},
                   ranks, "import");
  EXPECT_FALSE(fs::exists(dir + "/out.h5"));
}

TEST_P(NonFiniteCli, DnsInitialStatesAreChecked) {
  const std::string in = dir + "/nan.h5";
  write_series(in, series_meta(8, 17, 8, 1), 3, 0, 1, 2);
  const std::string c = dns_case(dir, dir + "/from_series", 2);
  expect_one_error(run("dns " + c + " --set initial.type=series --set initial.file=" + in + " --set initial.time_index=1",
                       ranks),
                   {in, "trajectory 0", "time index 1", "component w"}, ranks, "dns from a series");
  EXPECT_FALSE(fs::exists(dir + "/from_series"));
  // a checkpoint with a NaN in its state
  ASSERT_EQ(run("dns " + dns_case(dir, dir + "/good", 3)).status, 0);
  {
    auto f = iff::h5::File::open(dir + "/good/checkpoint.h5", true);
    const auto s = f.shape("/state/x0");
    std::vector<double> x(s[0] * s[1] * s[2] * s[3]);
    f.read_slab("/state/x0", {0, 0, 0, 0}, s, x.data());
    x[5 * s[2] * 2 * s[1] + 4] = NAN;  // mode 2, component v, Chebyshev coefficient 2
    f.write_slab("/state/x0", {0, 0, 0, 0}, s, x.data());
    f.close();
  }
  expect_one_error(run("dns " + dns_case(dir, dir + "/restarted", 6) + " --set initial.type=restart --set initial.file=" +
                           dir + "/good/checkpoint.h5",
                       ranks),
                   {dir + "/good/checkpoint.h5", "/state/x0", "step 3", "component"}, ranks, "dns restart");
  EXPECT_FALSE(fs::exists(dir + "/restarted"));
}

INSTANTIATE_TEST_SUITE_P(Ranks, NonFiniteCli, ::testing::Values(1, 2));

// ------------------------------------------------------------------------ -o checked first

TEST(OutputFileCli, ADirectoryIsRefusedBeforeAnyWork) {
  const auto dir = iff::test::temp_dir("output-dir");
  fs::create_directories(dir + "/taken");
  // the input does not even exist: the output is the first thing checked
  for (const std::string& args : std::vector<std::string>{"filter " + dir + "/absent.h5 --grid 8x9x4 -o " + dir + "/taken",
                                 "import " + dir + "/absent.npy -o " + dir + "/taken"}) {
    const auto r = run(args);
    expect_one_error(r, {"output " + dir + "/taken is a directory"}, 1, args);
  }
}

// ------------------------------------------------------------------------ folder locks

TEST(FolderLockCli, ASecondRunIntoALockedFolderRefusesNamingTheFirst) {
  const auto dir = iff::test::temp_dir("lock-cli");
  const std::string out = dir + "/run";
  const std::string c = dns_case(dir, out, 6000, 200);
  // the first run, in the background; once it holds the lock it is stopped (SIGSTOP) while
  // the second one tries, so that a fast machine cannot finish it first
  const std::string log = dir + "/first.log";
  ASSERT_EQ(iff::test::run(iff::test::exe() + " dns " + c + " > " + log + " 2>&1 & echo $! > " + dir + "/first.pid"), 0);
  const long pid = std::stol(read(dir + "/first.pid"));
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(out + "/" + std::string(iff::FolderLock::kFileName)) && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(kill(pid, SIGSTOP), 0);
  ASSERT_TRUE(fs::exists(out + "/" + std::string(iff::FolderLock::kFileName))) << read(log);
  const auto second = run("dns " + c);
  ASSERT_EQ(kill(pid, SIGCONT), 0);
  expect_one_error(second, {"output folder " + out + " is in use by `", "dns " + c, "(pid "}, 1, "second run");
  // the first finishes undisturbed, with a readable series
  while (kill(pid, 0) == 0 && std::chrono::steady_clock::now() < until + std::chrono::seconds(240))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_NE(read(log).find("dns: done"), std::string::npos) << read(log);
  iff::SeriesReader r(out + "/snapshots.h5");
  EXPECT_EQ(r.n_time(), 31);
  EXPECT_FALSE(fs::exists(out + "/" + std::string(iff::FolderLock::kFileName)));
}

TEST(FolderLockCli, AKilledRunsLockIsTakenOverAndAForeignOneNamesUnlock) {
  const auto dir = iff::test::temp_dir("lock-kill");
  const std::string out = dir + "/run";
  // (far more steps than any machine runs before the kill below)
  const std::string c = dns_case(dir, out, 6000000, 200);
  ASSERT_EQ(iff::test::run(iff::test::exe() + " dns " + c + " > /dev/null 2>&1 & echo $! > " + dir + "/pid"), 0);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(out + "/snapshots.h5") && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const long pid = std::stol(read(dir + "/pid"));
  kill(pid, SIGKILL);
  while (kill(pid, 0) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(fs::exists(out + "/" + std::string(iff::FolderLock::kFileName))) << "no lock left by the killed run";
  const auto again = run("dns " + c + " --set time.steps=3");
  EXPECT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("the lock of `"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("(pid " + std::to_string(pid)), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("is stale"), std::string::npos) << again.output;
  // a lock written on another host cannot be checked here
  std::ofstream(out + "/" + std::string(iff::FolderLock::kFileName))
      << "host: elsewhere-42\npid: 17\nprocess_start: 1\nboot_id: x\ncommand: ifactflow dns big.yaml\n"
      << "started: 2024-01-01T00:00:00Z\n";
  expect_one_error(run("dns " + c), {"locked by `ifactflow dns big.yaml` (pid 17 on host elsewhere-42", "ifactflow unlock " + out},
                   1, "foreign lock");
  ASSERT_EQ(run("unlock " + out).status, 0);
  EXPECT_EQ(run("dns " + c + " --set time.steps=2").status, 0);
}

// ------------------------------------------------------------------------ failed runs change nothing

TEST(FailedRunCli, AFolderKeepsItsFilesWhenARunFailsOnItsInput) {
  const auto dir = iff::test::temp_dir("failed-run");
  const std::string out = dir + "/run";
  const std::string c = dns_case(dir, out, 3);
  ASSERT_EQ(run("dns " + c).status, 0);
  std::map<std::string, std::string> before;
  for (const auto& n : names_in(out)) before[n] = read(out + "/" + n);
  ASSERT_TRUE(before.count("config.resolved.yaml"));
  for (const std::string& bad : std::vector<std::string>{" --set initial.type=restart --set initial.file=" + dir + "/absent.h5",
                                " --set initial.type=series --set initial.file=" + c, " --set grid.nx=7",
                                " --set output.wrong_key=1"}) {
    const auto r = run("dns " + c + bad);
    EXPECT_NE(r.status, 0) << bad;
    std::map<std::string, std::string> after;
    for (const auto& n : names_in(out)) after[n] = read(out + "/" + n);
    EXPECT_TRUE(after == before) << "the failed run" << bad << " changed the folder";
  }
}
