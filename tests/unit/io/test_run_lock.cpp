// Output-folder locks (io/run_lock.hpp): one holder at a time, named to whoever is refused;
// a lock of a process that no longer runs (exited, a zombie, or its id now belongs to another process) is
// taken over; a lock of another host is refused naming `ifactflow unlock`, which clears it
// but never a live lock of this host; a folder the lock created and nobody wrote into is
// removed with the lock.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "io/error.hpp"
#include "io/run_lock.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;
extern char** environ;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string host() {
  char h[256] = {};
  gethostname(h, sizeof h - 1);
  return h;
}

std::string boot_id() {
  std::string s = read("/proc/sys/kernel/random/boot_id");
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

/// The id of a process that has run and exited.
long dead_pid() {
  pid_t pid = 0;
  char arg0[] = "true";
  char* argv[] = {arg0, nullptr};
  EXPECT_EQ(posix_spawnp(&pid, "true", nullptr, nullptr, argv, environ), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

void write_lock(const std::string& dir, const std::string& host_name, long pid, unsigned long long start,
                const std::string& command) {
  std::ofstream(dir + "/" + iff::FolderLock::kFileName)
      << "host: " << host_name << "\npid: " << pid << "\nprocess_start: " << start << "\nboot_id: " << boot_id()
      << "\ncommand: " << command << "\nstarted: 2024-01-01T00:00:00Z\n";
}

std::string refusal(const std::string& dir, const std::string& command) {
  try {
    iff::FolderLock again(dir, command);
  } catch (const iff::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(FolderLock, OneHolderAtATimeNamedToTheOthers) {
  const auto dir = iff::test::temp_dir("lock-one");
  const std::string lock = dir + "/" + iff::FolderLock::kFileName;
  {
    iff::FolderLock held(dir, "ifactflow dns first.yaml");
    const std::string text = read(lock);
    EXPECT_NE(text.find("host: " + host()), std::string::npos) << text;
    EXPECT_NE(text.find("pid: " + std::to_string(getpid())), std::string::npos) << text;
    EXPECT_NE(text.find("command: ifactflow dns first.yaml"), std::string::npos) << text;
    EXPECT_NE(text.find("started: "), std::string::npos) << text;
    const std::string why = refusal(dir, "ifactflow dns second.yaml");
    EXPECT_NE(why.find("is in use by `ifactflow dns first.yaml` (pid " + std::to_string(getpid())), std::string::npos)
        << why;
    EXPECT_EQ(why.find('\n'), std::string::npos) << "one line: " << why;
    EXPECT_EQ(read(lock), text) << "a refused run changed the lock";
  }
  EXPECT_FALSE(fs::exists(lock)) << "not released";
  iff::FolderLock next(dir, "ifactflow dns second.yaml");
  EXPECT_NE(read(lock).find("second.yaml"), std::string::npos);
}

TEST(FolderLock, AFolderThatStaysEmptyIsRemovedWithTheLock) {
  const auto dir = iff::test::temp_dir("lock-folder");
  { iff::FolderLock lock(dir + "/new", "ifactflow stats a.h5 -o new"); EXPECT_TRUE(fs::is_directory(dir + "/new")); }
  EXPECT_FALSE(fs::exists(dir + "/new")) << "a run that wrote nothing left its folder";
  {
    iff::FolderLock lock(dir + "/used", "ifactflow stats a.h5 -o used");
    std::ofstream(dir + "/used/profiles.csv") << "y\n";
  }
  EXPECT_TRUE(fs::exists(dir + "/used/profiles.csv"));
  EXPECT_FALSE(fs::exists(dir + "/used/" + std::string(iff::FolderLock::kFileName)));
  { iff::FolderLock lock(dir, "ifactflow dns a.yaml"); }
  EXPECT_TRUE(fs::is_directory(dir)) << "a folder that existed before was removed";
}

TEST(FolderLock, ALockOfAProcessThatNoLongerRunsIsTakenOver) {
  const auto dir = iff::test::temp_dir("lock-stale");
  const std::string lock = dir + "/" + iff::FolderLock::kFileName;
  write_lock(dir, host(), dead_pid(), 0, "ifactflow dns killed.yaml");
  {
    iff::FolderLock taken(dir, "ifactflow dns killed.yaml");
    EXPECT_NE(read(lock).find("pid: " + std::to_string(getpid())), std::string::npos) << read(lock);
  }
  // a process that has exited but is not yet reaped (a zombie, as a rank of a killed job can
  // be for a moment after mpirun returns) no longer runs
  {
    pid_t zombie = 0;
    char arg0[] = "true";
    char* argv[] = {arg0, nullptr};
    ASSERT_EQ(posix_spawnp(&zombie, "true", nullptr, nullptr, argv, environ), 0);
    siginfo_t info{};
    ASSERT_EQ(waitid(P_PID, zombie, &info, WEXITED | WNOWAIT), 0);  // exited, left unreaped
    write_lock(dir, host(), zombie, 0, "ifactflow dns zombie.yaml");
    {
      iff::FolderLock taken(dir, "ifactflow dns after-zombie.yaml");
      EXPECT_NE(read(lock).find("after-zombie.yaml"), std::string::npos) << read(lock);
    }
    int status = 0;
    waitpid(zombie, &status, 0);
  }
  // a live process id that started at another time is another process: the holder is gone
  write_lock(dir, host(), getpid(), 1, "ifactflow dns reused.yaml");
  {
    iff::FolderLock taken(dir, "ifactflow dns again.yaml");
    EXPECT_NE(read(lock).find("again.yaml"), std::string::npos) << read(lock);
  }
  EXPECT_FALSE(fs::exists(lock));
}

TEST(FolderLock, TakingTheLockRemovesTheWorkFilesOfAKilledRun) {
  const auto dir = iff::test::temp_dir("lock-work-files");
  fs::create_directories(dir + "/vtk");
  const std::string lock_attempt = "/." + std::string(iff::FolderLock::kFileName) + "." + host();
  const std::vector<std::string> stale = {"/.checkpoint.h5.node.cluster-4242-0.partial",
                                          "/vtk/.rollout_traj0_000003.vtr." + host() + "-77-12.partial",
                                          // the lock attempt of a process that is gone
                                          lock_attempt + "-" + std::to_string(dead_pid()) + "-0.partial"};
  const std::vector<std::string> kept = {"/.coarse.h5.partial",  // resumable (a dataset's work file)
                                         // the attempt at the lock of a run that still runs
                                         lock_attempt + "-" + std::to_string(getppid()) + "-0.partial",
                                         "/checkpoint.h5", "/vtk/rollout_traj0_000003.vtr"};
  for (const auto& f : stale) std::ofstream(dir + f) << "half";
  for (const auto& f : kept) std::ofstream(dir + f) << "kept";
  write_lock(dir, host(), dead_pid(), 0, "ifactflow dns killed.yaml");
  { iff::FolderLock taken(dir, "ifactflow dns killed.yaml"); }
  for (const auto& f : stale) EXPECT_FALSE(fs::exists(dir + f)) << f << " left";
  for (const auto& f : kept) EXPECT_TRUE(fs::exists(dir + f)) << f << " removed";
}

TEST(FolderLock, ALockOfAnotherHostIsRefusedNamingUnlock) {
  const auto dir = iff::test::temp_dir("lock-host");
  write_lock(dir, "node-elsewhere-17", 4242, 99, "ifactflow train big.yaml");
  const std::string why = refusal(dir, "ifactflow train big.yaml");
  EXPECT_NE(why.find("locked by `ifactflow train big.yaml` (pid 4242 on host node-elsewhere-17"), std::string::npos)
      << why;
  EXPECT_NE(why.find("`ifactflow unlock " + dir + "`"), std::string::npos) << why;
  EXPECT_TRUE(fs::exists(dir + "/" + iff::FolderLock::kFileName)) << "a refused run removed the lock";
  const std::string cleared = iff::FolderLock::clear(dir);
  EXPECT_NE(cleared.find("node-elsewhere-17"), std::string::npos) << cleared;
  EXPECT_FALSE(fs::exists(dir + "/" + iff::FolderLock::kFileName));
  EXPECT_EQ(iff::FolderLock::clear(dir), "") << "no lock left to clear";
  iff::FolderLock now(dir, "ifactflow train big.yaml");
}

TEST(FolderLock, UnlockRefusesALiveLockOfThisHost) {
  const auto dir = iff::test::temp_dir("lock-unlock");
  iff::FolderLock held(dir, "ifactflow rollout r.yaml");
  EXPECT_THROW(iff::FolderLock::clear(dir), iff::InputError);
  std::string out;
  EXPECT_NE(iff::test::run(iff::test::exe() + " unlock " + dir, &out), 0) << out;
  EXPECT_NE(out.find("is running; not unlocked"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(dir + "/" + iff::FolderLock::kFileName));
}

TEST(FolderLock, UnlockCommandClearsALockOfAnotherHost) {
  const auto dir = iff::test::temp_dir("lock-unlock-cli");
  write_lock(dir, "node-elsewhere-3", 77, 5, "ifactflow compare c.yaml");
  std::string out;
  ASSERT_EQ(iff::test::run(iff::test::exe() + " unlock " + dir, &out), 0) << out;
  EXPECT_NE(out.find("removed the lock of `ifactflow compare c.yaml`"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir + "/" + iff::FolderLock::kFileName));
}
