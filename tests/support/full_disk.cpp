#include "tests/support/full_disk.hpp"

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace iff::test {

std::string fault_hook_env(const std::string& dir, unsigned long long bytes) {
  const char* lib = std::getenv("IFF_FAULT_LIB");
  if (!lib || !*lib) return "";
  return "LD_PRELOAD=" + std::string(lib) + " IFF_FAULT_DIR=" + dir + " IFF_FAULT_ENOSPC_AFTER=" +
         std::to_string(bytes) + " ";
}

std::string fault_hook_mpirun_options(const std::string& dir, unsigned long long bytes) {
  const char* lib = std::getenv("IFF_FAULT_LIB");
  if (!lib || !*lib) return "";
  return "-x LD_PRELOAD=" + std::string(lib) + " -x IFF_FAULT_DIR=" + dir + " -x IFF_FAULT_ENOSPC_AFTER=" +
         std::to_string(bytes) + " ";
}

Tmpfs::Tmpfs(const std::string& dir, int kib) : dir_(dir) {
  std::filesystem::create_directories(dir);
  const std::string options = "size=" + std::to_string(kib) + "k";
  if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0) {
    mounted_ = true;
  } else {
    why_ = std::string("mount -t tmpfs refused: ") + std::strerror(errno);
  }
}

Tmpfs::~Tmpfs() {
  if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
}

void Tmpfs::fill(std::size_t free_bytes) {
  struct statvfs s {};
  if (::statvfs(dir_.c_str(), &s) != 0) return;
  const std::size_t avail = static_cast<std::size_t>(s.f_bavail) * s.f_frsize;
  if (avail <= free_bytes) return;
  std::ofstream f(dir_ + "/.filler", std::ios::binary);
  const std::vector<char> zeros(avail - free_bytes, 1);
  f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
}

}  // namespace iff::test
