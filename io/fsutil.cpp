#include "io/fsutil.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "io/comm.hpp"
#include "io/error.hpp"

namespace fs = std::filesystem;

namespace iff {

void require_writable_parent(const std::string& path) {
  fs::path p(path);
  fs::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  IFF_REQUIRE(fs::is_directory(dir), "output " << path << ": directory " << dir.string() << " does not exist");
  IFF_REQUIRE(::access(dir.c_str(), W_OK) == 0,
              "output " << path << ": directory " << dir.string() << " is not writable");
}

void require_output_file(const std::string& path) {
  IFF_REQUIRE(!path.empty(), "output file name is empty");
  IFF_REQUIRE(!fs::is_directory(path), "output " << path << " is a directory; name a file");
  require_writable_parent(path);
}

void ensure_directory(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  IFF_REQUIRE(!ec && fs::is_directory(dir), "output directory " << dir << " cannot be created: " << ec.message());
  IFF_REQUIRE(::access(dir.c_str(), W_OK) == 0, "output directory " << dir << " is not writable");
}

std::string partial_name(const std::string& path) {
  fs::path p(path);
  return (p.parent_path() / ("." + p.filename().string() + ".partial")).string();
}

std::string unique_partial_name(const std::string& path) {
  static std::atomic<long> counter{0};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
  fs::path p(path);
  const std::string tag = std::string(host) + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  return (p.parent_path() / ("." + p.filename().string() + "." + tag + ".partial")).string();
}

namespace {

/// Writes all of data to the new file `temp` and closes it, every call checked.
void write_file(const std::string& temp, const std::string& final_path, const void* data, std::size_t size) {
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  IFF_CHECK_AS(IOError, fd >= 0, "cannot write " << final_path << ": " << std::strerror(errno));
  const char* p = static_cast<const char*>(data);
  std::size_t left = size;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      throw IOError("cannot write " + final_path + ": " + std::strerror(err));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  // some file systems (NFS, quotas) report a failed write only here
  IFF_CHECK_AS(IOError, ::close(fd) == 0, "cannot write " << final_path << ": " << std::strerror(errno));
}

}  // namespace

void write_bytes_atomic(const std::string& path, const void* data, std::size_t size) {
  require_output_file(path);
  AtomicPath out(path);
  write_file(out.temp(), path, data, size);
  out.commit();
}

void write_text_atomic(const std::string& path, const std::string& text) {
  write_bytes_atomic(path, text.data(), text.size());
}

AtomicPath::AtomicPath(std::string final_path) : final_(std::move(final_path)), temp_(unique_partial_name(final_)) {}

AtomicPath::AtomicPath(std::string final_path, MPI_Comm comm) : final_(std::move(final_path)) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  owner_ = rank == 0;
  if (owner_) temp_ = unique_partial_name(final_);
  temp_ = broadcast_text(temp_, comm);
}

AtomicPath::AtomicPath(AtomicPath&& o) noexcept
    : final_(std::move(o.final_)), temp_(std::move(o.temp_)), owner_(o.owner_), done_(o.done_) {
  o.done_ = true;
}

AtomicPath::~AtomicPath() { discard(); }

void AtomicPath::commit() {
  if (done_) return;
  done_ = true;
  if (!owner_) return;
  std::error_code ec;
  fs::rename(temp_, final_, ec);
  if (ec) {
    std::remove(temp_.c_str());
    throw IOError("cannot rename " + temp_ + " to " + final_ + ": " + ec.message());
  }
}

void AtomicPath::discard() {
  if (done_) return;
  done_ = true;
  if (owner_) std::remove(temp_.c_str());
}

}  // namespace iff
