// Integrity under MPI: the output-folder lock is taken by rank 0 and its outcome reaches
// every rank (all go on, or all throw the same error); an atomic output shared by the ranks
// has one temporary name on every rank, and another for every new output (so that two runs
// writing the same file never share a temporary file); a failure of one rank's share of a
// step (run_agreed) is thrown on every rank.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "io/agreed.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/run_lock.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;

namespace {
std::string from_rank0(std::string s) {
  int n = static_cast<int>(s.size());
  MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD);
  s.resize(n);
  MPI_Bcast(s.data(), n, MPI_CHAR, 0, MPI_COMM_WORLD);
  return s;
}
}  // namespace

TEST(FolderLockMpi, EveryRankLearnsTheOutcome) {
  const auto dir = iff::test::temp_dir("lock-mpi");
  iff::FolderLock held(dir, "ifactflow dns a.yaml", MPI_COMM_WORLD);
  if (iff::test::rank() == 0) {
    EXPECT_TRUE(fs::exists(dir + "/" + iff::FolderLock::kFileName));
  }
  std::string why;
  try {
    iff::FolderLock again(dir, "ifactflow dns b.yaml", MPI_COMM_WORLD);
    ADD_FAILURE() << "rank " << iff::test::rank() << " went on into a locked folder";
  } catch (const iff::InputError& e) {
    why = e.what();
  }
  EXPECT_NE(why.find("in use by `ifactflow dns a.yaml`"), std::string::npos) << why;
  EXPECT_EQ(why, from_rank0(why)) << "the ranks were told different things";
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(AtomicPathMpi, OneTemporaryNameOnEveryRankAndANewOneEachTime) {
  const auto dir = iff::test::temp_dir("atomic-mpi");
  iff::AtomicPath a(dir + "/out.h5", MPI_COMM_WORLD), b(dir + "/out.h5", MPI_COMM_WORLD);
  EXPECT_EQ(a.temp(), from_rank0(a.temp()));
  EXPECT_EQ(b.temp(), from_rank0(b.temp()));
  EXPECT_NE(a.temp(), b.temp());
  if (iff::test::rank() == 0) {  // named after the process that picked it
    EXPECT_NE(a.temp().find("-" + std::to_string(getpid()) + "-"), std::string::npos) << a.temp();
  }
  EXPECT_EQ(a.temp().rfind(".partial"), a.temp().size() - 8) << a.temp();
}

TEST(RunAgreedMpi, AFailureOnOneRankIsThrownOnEveryRank) {
  const int last = iff::test::size() - 1;
  std::string why;
  try {
    iff::run_agreed(MPI_COMM_WORLD, [&] {
      if (iff::test::rank() == last) throw iff::InputError("series x.h5: non-finite value on rank " + std::to_string(last));
    });
    ADD_FAILURE() << "rank " << iff::test::rank() << " went on";
  } catch (const iff::InputError& e) {
    why = e.what();
  }
  EXPECT_EQ(why, "series x.h5: non-finite value on rank " + std::to_string(last));
  EXPECT_NO_THROW(iff::run_agreed(MPI_COMM_WORLD, [] {}));
}
