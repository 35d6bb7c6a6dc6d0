#include "io/memory.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "io/error.hpp"

namespace iff {

namespace {

/// A number from the first line of `path` ("max" or absent: no limit).
double number_in(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  if (!(f >> s) || s == "max") return std::numeric_limits<double>::infinity();
  try {
    return std::stod(s);
  } catch (const std::exception&) {
    return std::numeric_limits<double>::infinity();
  }
}

double mem_available() {
  std::ifstream f("/proc/meminfo");
  std::string key, unit;
  double kb = 0;
  while (f >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024.0;
  return std::numeric_limits<double>::infinity();
}

/// The cgroup's limit less its usage (v2, else v1).
double cgroup_available() {
  const double v2 = number_in("/sys/fs/cgroup/memory.max");
  if (v2 < std::numeric_limits<double>::infinity()) return v2 - number_in("/sys/fs/cgroup/memory.current");
  const double v1 = number_in("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  if (v1 < 1e18) return v1 - number_in("/sys/fs/cgroup/memory/memory.usage_in_bytes");
  return std::numeric_limits<double>::infinity();
}

int ranks_on_this_node(MPI_Comm comm) {
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int n = 1;
  MPI_Comm_size(node, &n);
  MPI_Comm_free(&node);
  return n;
}

}  // namespace

std::string memory_text(double bytes) {
  if (bytes >= 1e12) return fmt::format("{:.3g} TB", bytes / 1e12);
  if (bytes >= 1e9) return fmt::format("{:.3g} GB", bytes / 1e9);
  return fmt::format("{:.3g} MB", bytes / 1e6);
}

std::size_t available_memory_per_rank(MPI_Comm comm) {
  const int local = ranks_on_this_node(comm);
  double node = std::min(mem_available(), cgroup_available());
  if (const char* forced = std::getenv("IFF_MEMORY_AVAILABLE")) node = std::atof(forced) * local;
  double mine = node / local;
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) mine = std::min(mine, double(as.rlim_cur));
  return mine >= double(std::numeric_limits<std::size_t>::max()) ? std::numeric_limits<std::size_t>::max()
                                                                  : static_cast<std::size_t>(std::max(0.0, mine));
}

void require_memory(double bytes_per_rank, const std::string& what, const std::string& how, MPI_Comm comm) {
  double need = bytes_per_rank, have = static_cast<double>(available_memory_per_rank(comm));
  MPI_Allreduce(MPI_IN_PLACE, &need, 1, MPI_DOUBLE, MPI_MAX, comm);
  MPI_Allreduce(MPI_IN_PLACE, &have, 1, MPI_DOUBLE, MPI_MIN, comm);
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  IFF_CHECK_AS(InputError, need <= have,
               what << " needs about " << memory_text(need) << " per rank on " << ranks << " rank(s) (" << how << "); "
                    << memory_text(have) << " are available per rank on this node: use more ranks (or nodes) or a "
                                            "smaller grid");
}

}  // namespace iff
