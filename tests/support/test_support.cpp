#include "tests/support/test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "io/comm.hpp"

namespace fs = std::filesystem;

namespace iff::test {

namespace {
struct Cleanup {
  std::vector<std::string> dirs;
  ~Cleanup() {
    if (std::getenv("IFF_KEEP_TEST_FILES")) return;
    for (const auto& d : dirs) {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  }
};
Cleanup& cleanup() {
  static Cleanup c;
  return c;
}
}  // namespace

int rank(MPI_Comm comm) { return comm_rank(comm); }
int size(MPI_Comm comm) { return comm_size(comm); }

std::string temp_dir(const std::string& tag) {
  // rank 0 chooses a unique name and broadcasts it
  std::array<char, 512> buf{};
  if (rank() == 0) {
    std::string tmpl = (fs::temp_directory_path() / ("iff-" + tag + "-XXXXXX")).string();
    std::vector<char> c(tmpl.begin(), tmpl.end());
    c.push_back('\0');
    char* made = mkdtemp(c.data());
    if (made) std::snprintf(buf.data(), buf.size(), "%s", made);
    cleanup().dirs.emplace_back(buf.data());
  }
  MPI_Bcast(buf.data(), static_cast<int>(buf.size()), MPI_CHAR, 0, MPI_COMM_WORLD);
  return std::string(buf.data());
}

std::string exe() {
  const char* e = std::getenv("IFF_EXE");
  return e ? e : "ifactflow";
}

std::string mpirun(int ranks) {
  const char* path = std::getenv("PATH");
  const char* home = std::getenv("HOME");
  const char* asan = std::getenv("ASAN_OPTIONS");  // kept for the asan preset
  return std::string("env -i PATH='") + (path ? path : "/usr/bin:/bin") + "' HOME='" + (home ? home : "/root") +
         (asan ? std::string("' ASAN_OPTIONS='") + asan : std::string()) +
         "' OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 mpirun -n " +
         std::to_string(ranks) + " --oversubscribe ";
}

int run(const std::string& command, std::string* output) {
  std::string cmd = command + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf{};
  std::string out;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace iff::test
