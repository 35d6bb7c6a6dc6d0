// Bad input to the command line: every case exits non-zero with one error line that names
// the problem, and leaves no output (nor a partial one) behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/h5.hpp"
#include "tests/support/npy_writer.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;

namespace {

struct Result {
  int status;
  std::string output;
};

Result run(const std::string& args) {
  Result r;
  r.status = iff::test::run(iff::test::exe() + " " + args, &r.output);
  return r;
}

int error_lines(const std::string& out) {
  std::istringstream in(out);
  std::string line;
  int n = 0;
  while (std::getline(in, line))
    if (line.find("ifactflow: error") != std::string::npos) ++n;
  return n;
}

void expect_clean_failure(const std::string& args, const std::string& needle, const std::string& out_dir) {
  const Result r = run(args);
  EXPECT_NE(r.status, 0) << args << "\n" << r.output;
  EXPECT_EQ(error_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.output;
  for (const auto& e : fs::directory_iterator(out_dir)) {
    const auto name = e.path().filename().string();
    EXPECT_EQ(name.find("out"), std::string::npos) << "left behind: " << e.path() << " after " << args;
  }
}

class CliBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = iff::test::temp_dir("cli");
    data.assign(2 * 2 * 4 * 5 * 3 * 4, 0.5);
  }
  std::string npy(const std::string& name, const std::vector<std::size_t>& shape, const std::string& descr,
                  std::size_t truncate = 0) {
    const std::string p = dir + "/" + name;
    std::size_t n = 1;
    for (auto s : shape) n *= s;
    data.resize(std::max(data.size(), n));
    iff::test::write_npy(p, shape, descr, data.data(), n * (descr.back() == '4' ? 4 : 8), 1, false, truncate);
    return p;
  }
  std::string dir;
  std::vector<double> data;
};

}  // namespace

TEST_F(CliBadInput, TruncatedNpy) {
  auto p = npy("in.npy", {2, 2, 4, 5, 3, 4}, "<f8", 100);
  expect_clean_failure("import " + p + " -o " + dir + "/out.h5", "truncated", dir);
}

TEST_F(CliBadInput, BigEndianNpy) {
  auto p = npy("in.npy", {2, 2, 4, 5, 3, 4}, ">f8");
  expect_clean_failure("import " + p + " -o " + dir + "/out.h5", "big-endian", dir);
}

TEST_F(CliBadInput, IntegerNpy) {
  auto p = npy("in.npy", {2, 2, 4, 5, 3, 4}, "<i8");
  expect_clean_failure("import " + p + " -o " + dir + "/out.h5", "not floating point", dir);
}

TEST_F(CliBadInput, WrongRankOfShape) {
  auto p = npy("in.npy", {2, 4, 5, 3, 4}, "<f8");
  expect_clean_failure("import " + p + " -o " + dir + "/out.h5", "expected 6 axes", dir);
}

TEST_F(CliBadInput, ComponentsNotThreeOrFour) {
  auto p = npy("in.npy", {2, 2, 4, 5, 3, 2}, "<f8");
  expect_clean_failure("import " + p + " -o " + dir + "/out.h5", "last axis must be 3", dir);
}

TEST_F(CliBadInput, MissingInput) {
  expect_clean_failure("import " + dir + "/nothing.npy -o " + dir + "/out.h5", "does not exist", dir);
}

TEST_F(CliBadInput, OutputInMissingDirectory) {
  auto p = npy("in.npy", {2, 2, 4, 5, 3, 4}, "<f8");
  expect_clean_failure("import " + p + " -o " + dir + "/no/such/dir/out.h5", "does not exist", dir);
}

TEST_F(CliBadInput, OutputInReadOnlyDirectory) {
  // /proc refuses new files even for root (a chmod'ed directory would not stop root)
  auto p = npy("in.npy", {2, 2, 4, 5, 3, 4}, "<f8");
  expect_clean_failure("import " + p + " -o /proc/out.h5", "/proc/out.h5", dir);
  EXPECT_FALSE(fs::exists("/proc/.out.h5.partial"));
}

TEST_F(CliBadInput, InfoOnFileThatIsNotHdf5) {
  std::ofstream(dir + "/fake.h5") << "plain text, not HDF5";
  expect_clean_failure("info " + dir + "/fake.h5", "not an HDF5 file", dir);
}

TEST_F(CliBadInput, InfoOnSeriesWithoutVelocity) {
  {
    auto f = iff::h5::File::create(dir + "/novel.h5");
    f.write_vector("/grid/x", {0.0, 1.0});
  }
  expect_clean_failure("info " + dir + "/novel.h5", "no /velocity", dir);
}

TEST_F(CliBadInput, InfoOnSeriesWithMismatchedGrid) {
  {
    auto f = iff::h5::File::create(dir + "/mismatch.h5");
    f.create_dataset("/velocity", {1, 1, 4, 5, 3, 3}, iff::h5::DType::f32);
    f.write_vector("/grid/x", {0, 1, 2});
    f.write_vector("/grid/y", {0, 1, 2, 3, 4});
    f.write_vector("/grid/z", {0, 1, 2});
    f.write_vector("/time", {0.0});
  }
  expect_clean_failure("info " + dir + "/mismatch.h5", "do not match", dir);
}

TEST_F(CliBadInput, UnknownOptionAndUnbuiltCommand) {
  const Result r = run("import --no-such-flag");
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(error_lines(r.output), 1) << r.output;
}

TEST(Cli, VersionNamesCommitAndFeatures) {
  std::string out;
  ASSERT_EQ(iff::test::run(iff::test::exe() + " --version", &out), 0) << out;
  for (const char* s : {"git ", "MPI", "HDF5", "VTK", "libtorch"}) EXPECT_NE(out.find(s), std::string::npos) << out;
}

// Case files: the `dns` command reads its YAML through the same Config as every command.
class CliBadCase : public ::testing::Test {
 protected:
  void SetUp() override { dir = iff::test::temp_dir("cli-case"); }
  std::string write_case(const std::string& grid_lines, const std::string& extra = "") {
    const std::string p = dir + "/case.yaml";
    std::ofstream(p) << "grid:\n" << grid_lines << "time:\n  steps: 2\n  dt: 0.01\n" << extra
                     << "output:\n  dir: " << dir << "/outdir\n";
    return p;
  }
  std::string dir;
};

TEST_F(CliBadCase, UnknownKey) {
  auto p = write_case("  nx: 8\n  ny: 17\n  nz: 8\n  nxx: 3\n");
  expect_clean_failure("dns " + p, "unknown key grid.nxx = 3 in " + p, dir);
}

TEST_F(CliBadCase, UnknownKeyFromSet) {
  auto p = write_case("  nx: 8\n  ny: 17\n  nz: 8\n");
  expect_clean_failure("dns " + p + " --set time.dtt=0.1", "unknown key time.dtt = 0.1 in --set", dir);
}

TEST_F(CliBadCase, WrongType) {
  auto p = write_case("  nx: eight\n  ny: 17\n  nz: 8\n");
  expect_clean_failure("dns " + p, "grid.nx = eight in " + p, dir);
}

TEST_F(CliBadCase, NegativeGridSize) {
  auto p = write_case("  nx: 8\n  ny: -17\n  nz: 8\n");
  expect_clean_failure("dns " + p, "grid.ny = -17 in " + p, dir);
}

TEST_F(CliBadCase, MissingCaseFile) {
  expect_clean_failure("dns " + dir + "/nothing.yaml", "nothing.yaml", dir);
}

// Under mpirun, a failure every rank sees (a YAML typo) is one line from rank 0, first, and
// every rank finalizes instead of MPI_Abort's banner; a failure of one rank alone (its own
// input) still aborts the job, with that rank's message first.
TEST_F(CliBadInput, EveryRankFailingPrintsOneLineUnderMpi) {
  std::ofstream(dir + "/typo.yaml") << "grid: {nx: 8, ny: 9, nz: 8}\ntime: {stepz: 3}\n";
  std::string out;
  const int status = iff::test::run(iff::test::mpirun(2) + "-q " + iff::test::exe() + " dns " + dir + "/typo.yaml", &out);
  EXPECT_NE(status, 0) << out;
  EXPECT_EQ(error_lines(out), 1) << out;
  EXPECT_EQ(out.rfind("ifactflow: error: unknown key time.stepz = 3 in " + dir + "/typo.yaml", 0), 0u) << out;
  EXPECT_EQ(out.find("MPI_ABORT"), std::string::npos) << out;
  EXPECT_EQ(out.find("rank"), std::string::npos) << out;
}

// A grid within the allowed ranges but too large for the node is refused before any
// allocation, in one line with the estimate (it segfaulted inside FFTW-MPI's set-up).
TEST_F(CliBadInput, GridTooLargeForTheNodeIsRefusedWithTheEstimate) {
  std::ofstream(dir + "/huge.yaml") << "grid: {nx: 65536, ny: 16384, nz: 65536}\nphysics: {units: wall, re: 180}\n"
                                       "time: {dt: 0.001, steps: 2}\noutput: {dir: " << dir << "/huge}\n";
  expect_clean_failure("dns " + dir + "/huge.yaml", "the channel grid 65536x16384x65536 (98304x16384x98304 dealiased) "
                                                    "needs about 4.05e+04 TB per rank on 1 rank(s)", dir);
  // under a memory limit: 2048x513x2048 needs ~1.24 TB (200 MB + 256 B
  // per dealiased point)
  std::ofstream(dir + "/big.yaml") << "grid: {nx: 2048, ny: 513, nz: 2048}\nphysics: {units: wall, re: 180}\n"
                                      "time: {dt: 0.001, steps: 2}\noutput: {dir: " << dir << "/big}\n";
  std::string out;
  EXPECT_NE(iff::test::run("IFF_MEMORY_AVAILABLE=8e9 " + iff::test::exe() + " dns " + dir + "/big.yaml", &out), 0);
  EXPECT_NE(out.find("needs about 1.24 TB per rank on 1 rank(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("8 GB are available per rank"), std::string::npos) << out;
  EXPECT_EQ(error_lines(out), 1) << out;
}
