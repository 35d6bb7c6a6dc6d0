// `ifactflow dns` stopped by a signal: SIGTERM reaching rank 0 alone (IFF_DNS_SIGNAL_AFTER)
// stops every rank after the same step with exit status 75 and one line naming the restart;
// the restart it names continues the run to the uninterrupted one's outputs bit for bit
// (time series, snapshots, final checkpoint), at 1 and 2 ranks, within the self-starting
// steps of SBDF3 and after them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/h5.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;

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

std::string write_case(const std::string& dir) {
  const std::string path = dir + "/dns.yaml";
  std::ofstream(path) << R"(grid: {nx: 12, ny: 17, nz: 8, lx: 3.141592653589793, lz: 0.9424777960769379}
physics: {units: centreline, re: 4200, driving: bulk_velocity, bulk_velocity: 0.6666666666666666}
time: {dt: 0.02, steps: 24, startup_substeps: 4}
initial: {type: perturbed, amplitude: 0.3, seed: 3}
output: {csv_every: 2, checkpoint_every: 1000, snapshot_every: 4, snapshot_dtype: f64, stats_every: 2,
         progress_seconds: 0}
)";
  return path;
}

}  // namespace

TEST(DnsSignal, StopsAfterTheSameStepAndTheRestartEqualsTheUninterruptedRun) {
  const std::string dir = iff::test::temp_dir("dns-signal");
  const std::string case_ = write_case(dir);
  const std::string exe = iff::test::exe();
  for (int ranks : {1, 2}) {
    const std::string launch = ranks == 1 ? std::string() : iff::test::mpirun(ranks);
    auto env = [&](const std::string& kv) { return ranks == 1 ? kv + " " : launch + "-x " + kv + " "; };
    const std::string ref = dir + "/ref" + std::to_string(ranks);
    std::string log;
    ASSERT_EQ(iff::test::run(launch + exe + " dns " + case_ + " --set output.dir=" + ref, &log), 0) << log;
    for (long stop : {1L, 10L}) {  // within the self-starting steps, and after them
      const std::string out = dir + "/stopped" + std::to_string(ranks) + "_" + std::to_string(stop);
      const std::string what = std::to_string(ranks) + " rank(s), stopped after step " + std::to_string(stop);
      EXPECT_EQ(iff::test::run(env("IFF_DNS_SIGNAL_AFTER=" + std::to_string(stop)) + exe + " dns " + case_ +
                                   " --set output.dir=" + out,
                               &log),
                75)
          << what << "\n" << log;
      EXPECT_NE(log.find("ifactflow: interrupted: dns: stopped by"), std::string::npos) << what << "\n" << log;
      EXPECT_NE(log.find("after step " + std::to_string(stop)), std::string::npos) << what << "\n" << log;
      const std::string restart = "--set initial.type=restart --set initial.file=" + out + "/checkpoint.h5";
      EXPECT_NE(log.find(restart), std::string::npos) << what << "\n" << log;
      EXPECT_EQ(log.find("MPI_ABORT"), std::string::npos) << what << "\n" << log;
      // the state of the stop is on disk: a checkpoint at that step (or the state the
      // self-starting steps began with), the time series before it, the snapshots so far
      ASSERT_TRUE(fs::exists(out + "/checkpoint.h5")) << what;
      const long ck = iff::h5::File::open(out + "/checkpoint.h5").attr_int("/", "step");
      EXPECT_EQ(ck, stop < 2 ? 0 : stop) << what;
      EXPECT_LT(slurp(out + "/timeseries.csv").size(), slurp(ref + "/timeseries.csv").size()) << what;
      EXPECT_TRUE(fs::exists(out + "/profiles.csv")) << what;
      ASSERT_EQ(iff::test::run(launch + exe + " dns " + case_ + " --set output.dir=" + out + " " + restart, &log), 0)
          << what << "\n" << log;
      EXPECT_EQ(slurp(out + "/timeseries.csv"), slurp(ref + "/timeseries.csv")) << what;
      for (const char* ds : {"/velocity", "/time", "/wall/u_tau"})
        EXPECT_EQ(read(out + "/snapshots.h5", ds), read(ref + "/snapshots.h5", ds)) << what << " " << ds;
      // every state of the history (n_states of x, n_explicit of N)
      const auto refck = iff::h5::File::open(ref + "/checkpoint.h5");
      const auto outck = iff::h5::File::open(out + "/checkpoint.h5");
      EXPECT_EQ(outck.attr_int("/", "n_states"), refck.attr_int("/", "n_states")) << what;
      EXPECT_EQ(outck.attr_int("/", "n_explicit"), refck.attr_int("/", "n_explicit")) << what;
      EXPECT_EQ(outck.attr_double("/", "forcing"), refck.attr_double("/", "forcing")) << what;
      for (const auto& [prefix, count] : {std::pair{std::string("/state/x"), refck.attr_int("/", "n_states")},
                                          std::pair{std::string("/state/n"), refck.attr_int("/", "n_explicit")}})
        for (long i = 0; i < count; ++i) {
          const std::string ds = prefix + std::to_string(i);
          EXPECT_EQ(outck.read_vector(ds), refck.read_vector(ds)) << what << " " << ds;
        }
    }
  }
}
