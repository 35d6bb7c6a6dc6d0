#include "io/run_lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <regex>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/log.hpp"

namespace fs = std::filesystem;

namespace iff {

namespace {

std::string this_host() {
  char h[256] = {};
  if (::gethostname(h, sizeof h - 1) != 0) return "unknown";
  return h;
}

std::string read_text(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = in.good();
  std::ostringstream s;
  if (*ok) s << in.rdbuf();
  return s.str();
}

std::string boot_id() {
  bool ok = false;
  std::string s = read_text("/proc/sys/kernel/random/boot_id", &ok);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return ok ? s : std::string();
}

/// Start of process `pid` in clock ticks since boot (field 22 of /proc/PID/stat), 0 when
/// unknown.
unsigned long long process_start(long pid) {
  bool ok = false;
  const std::string s = read_text("/proc/" + std::to_string(pid) + "/stat", &ok);
  const auto close = s.rfind(')');
  if (!ok || close == std::string::npos) return 0;
  std::istringstream in(s.substr(close + 1));
  std::string field;
  for (int i = 3; i < 22 && in >> field; ++i) {
  }
  unsigned long long start = 0;
  in >> start;
  return in ? start : 0;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string format_holder(const LockHolder& h) {
  return fmt::format("host: {}\npid: {}\nprocess_start: {}\nboot_id: {}\ncommand: {}\nstarted: {}\n", h.host, h.pid,
                     h.process_start, h.boot_id, h.command, h.started);
}

LockHolder parse_holder(const std::string& text) {
  LockHolder h;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon), value = line.substr(colon + 2);
    try {
      if (key == "host") h.host = value;
      if (key == "pid") h.pid = std::stol(value);
      if (key == "process_start") h.process_start = std::stoull(value);
    } catch (const std::exception&) {
      // an unreadable number leaves the field unknown
    }
    if (key == "boot_id") h.boot_id = value;
    if (key == "command") h.command = value;
    if (key == "started") h.started = value;
  }
  return h;
}

/// Whether process `pid` has exited but is not yet reaped (state Z or X, field 3 of
/// /proc/PID/stat): a rank of a killed job can linger so for a moment after mpirun returns.
bool exited(long pid) {
  bool ok = false;
  const std::string s = read_text("/proc/" + std::to_string(pid) + "/stat", &ok);
  const auto close = s.rfind(')');
  if (!ok || close == std::string::npos || close + 2 >= s.size()) return false;
  return s[close + 2] == 'Z' || s[close + 2] == 'X';
}

enum class Liveness { alive, gone, unknown };

/// Whether the holder still runs; `unknown` for another host (its processes cannot be seen).
Liveness liveness(const LockHolder& h) {
  if (h.host.empty() || h.host != this_host() || h.pid <= 0) return Liveness::unknown;
  const std::string boot = boot_id();
  if (!h.boot_id.empty() && !boot.empty() && h.boot_id != boot) return Liveness::gone;  // rebooted since
  if (::kill(static_cast<pid_t>(h.pid), 0) != 0 && errno == ESRCH) return Liveness::gone;
  // a process of that id runs: the holder, unless the id has been reused since
  const unsigned long long start = process_start(h.pid);
  if (h.process_start != 0 && start != 0 && start != h.process_start) return Liveness::gone;
  return exited(h.pid) ? Liveness::gone : Liveness::alive;
}

std::string refusal(const std::string& dir, const LockHolder& h, Liveness l) {
  if (l == Liveness::alive)
    return fmt::format("output folder {} is in use by {}; wait for it to finish or choose another output folder", dir,
                       h.describe());
  return fmt::format("output folder {} is locked by {}, which cannot be checked from host {}; if that run is over, "
                     "clear the lock with `ifactflow unlock {}`",
                     dir, h.host.empty() ? std::string("an unreadable lock file") : h.describe(), this_host(), dir);
}

/// Writes `text` to the new file `path`, checked.
void write_new_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  IFF_CHECK_AS(IOError, !f.fail(), "cannot write the lock file " << path << ": " << std::strerror(errno));
}

enum class Outcome : int { taken = 0, refused = 1, failed = 2 };

/// Rank 0's attempt: takes the lock of `dir` (returns taken) or says why not in `why`.
Outcome take(const std::string& dir, const std::string& path, const std::string& content, std::string* why) {
  const std::string mine = unique_partial_name(path);
  try {
    write_new_file(mine, content);
  } catch (const Error& e) {
    *why = e.what();
    return Outcome::failed;
  }
  struct Remove {
    std::string p;
    ~Remove() { std::remove(p.c_str()); }
  } remove_mine{mine};
  for (int attempt = 0; attempt < 8; ++attempt) {
    // link() is atomic and fails when the lock exists (also on NFS); without hard links,
    // exclusive creation does the same
    if (::link(mine.c_str(), path.c_str()) == 0) return Outcome::taken;
    if (errno != EEXIST) {
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
      if (fd >= 0) {
        const ssize_t n = ::write(fd, content.data(), content.size());
        const bool ok = ::close(fd) == 0 && n == static_cast<ssize_t>(content.size());
        if (ok) return Outcome::taken;
        std::remove(path.c_str());
        *why = fmt::format("cannot write the lock file {}: {}", path, std::strerror(errno));
        return Outcome::failed;
      }
      if (errno != EEXIST) {
        *why = fmt::format("cannot take the lock {}: {}", path, std::strerror(errno));
        return Outcome::failed;
      }
    }
    bool ok = false;
    const std::string held = read_text(path, &ok);
    if (!ok) continue;  // released meanwhile
    const LockHolder h = parse_holder(held);
    const Liveness l = liveness(h);
    if (l != Liveness::gone) {
      *why = refusal(dir, h, l);
      return Outcome::refused;
    }
    // a stale lock: move it aside under a name of ours; put it back if it turns out to be a
    // fresh one that another run took in the meantime
    const std::string aside = unique_partial_name(path);
    if (::rename(path.c_str(), aside.c_str()) != 0) continue;
    const std::string moved = read_text(aside, &ok);
    if (moved == held) {
      log::warn("output folder {}: the lock of {} is stale (that process no longer runs); taken over", dir,
                h.describe());
    } else {
      (void)::link(aside.c_str(), path.c_str());
    }
    std::remove(aside.c_str());
  }
  *why = fmt::format("cannot take the lock {}: it keeps changing hands", path);
  return Outcome::failed;
}

/// Removes the work files (NAME.HOST-PID-N.partial, fsutil.hpp's unique_partial_name) under
/// `dir` that a run killed before its rename left behind; returns how many. Only called with
/// the lock held: no run writes into the folder meanwhile, so every such file is stale. The
/// resumable work files (.NAME.partial) stay, and so do the lock attempts of other runs
/// (their copies of the lock file) unless their process is gone.
int remove_stale_work_files(const std::string& dir) {
  static const std::regex work_file(R"(^\..+-([0-9]+)-[0-9]+\.partial$)");
  const std::string lock_prefix = std::string(".") + FolderLock::kFileName + ".";
  std::vector<fs::path> stale;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::smatch m;
    if (!it->is_regular_file(ec) || !std::regex_match(name, m, work_file)) continue;
    if (name.rfind(lock_prefix, 0) == 0) {
      // another run's attempt at the lock: stale when that process of this host is gone
      const std::string host_pid = name.substr(lock_prefix.size());
      const long pid = std::stol(m[1].str());
      if (host_pid.rfind(this_host() + "-", 0) != 0 || pid == long(::getpid())) continue;
      if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    }
    stale.push_back(it->path());
  }
  int removed = 0;
  for (const auto& p : stale) removed += fs::remove(p, ec) ? 1 : 0;
  return removed;
}

}  // namespace

std::string LockHolder::describe() const {
  return fmt::format("`{}` (pid {} on host {}, since {})", command, pid, host, started);
}

FolderLock::FolderLock(const std::string& dir, const std::string& command, MPI_Comm comm)
    : dir_(dir), path_((fs::path(dir) / kFileName).string()) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  owner_ = rank == 0;
  int outcome = 0;
  std::string why;
  if (owner_) {
    try {
      created_dir_ = !fs::exists(dir);
      ensure_directory(dir);
      LockHolder me;
      me.host = this_host();
      me.pid = static_cast<long>(::getpid());
      me.process_start = process_start(me.pid);
      me.boot_id = boot_id();
      me.command = command;
      me.started = utc_now();
      content_ = format_holder(me);
      outcome = static_cast<int>(take(dir, path_, content_, &why));
      if (outcome == static_cast<int>(Outcome::taken)) {
        if (const int n = remove_stale_work_files(dir))
          log::warn("output folder {}: removed {} work file(s) that a run which did not finish left behind", dir, n);
      }
    } catch (const InputError& e) {
      outcome = static_cast<int>(Outcome::refused);
      why = e.what();
    } catch (const std::exception& e) {
      outcome = static_cast<int>(Outcome::failed);
      why = e.what();
    }
  }
  MPI_Bcast(&outcome, 1, MPI_INT, 0, comm);
  int n = static_cast<int>(why.size());
  MPI_Bcast(&n, 1, MPI_INT, 0, comm);
  why.resize(n);
  MPI_Bcast(why.data(), n, MPI_CHAR, 0, comm);
  if (outcome == static_cast<int>(Outcome::taken)) return;
  if (owner_ && created_dir_) {
    std::error_code ec;
    fs::remove(dir, ec);  // only if empty
  }
  owner_ = false;
  if (outcome == static_cast<int>(Outcome::refused)) throw InputError(why);
  throw IOError(why);
}

FolderLock::~FolderLock() {
  if (!owner_) return;
  bool ok = false;
  if (read_text(path_, &ok) == content_ && ok) std::remove(path_.c_str());
  if (created_dir_) {
    std::error_code ec;
    if (fs::is_empty(dir_, ec) && !ec) fs::remove(dir_, ec);  // a run that wrote nothing
  }
}

std::string FolderLock::clear(const std::string& dir) {
  const std::string path = (fs::path(dir) / kFileName).string();
  IFF_REQUIRE(fs::is_directory(dir), "unlock: " << dir << " is not a directory");
  bool ok = false;
  const std::string held = read_text(path, &ok);
  if (!ok) return "";
  const LockHolder h = parse_holder(held);
  IFF_REQUIRE(liveness(h) != Liveness::alive,
              "output folder " << dir << " is in use by " << h.describe() << ", which is running; not unlocked");
  IFF_CHECK_AS(IOError, std::remove(path.c_str()) == 0, "cannot remove " << path << ": " << std::strerror(errno));
  return h.host.empty() ? std::string("an unreadable lock file") : h.describe();
}

}  // namespace iff
