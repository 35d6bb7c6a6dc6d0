#include "io/fsutil.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

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

void write_text_atomic(const std::string& path, const std::string& text) {
  require_writable_parent(path);
  AtomicPath out(path);
  {
    std::ofstream f(out.temp(), std::ios::binary);
    IFF_CHECK_AS(IOError, f.good(), "cannot write " << out.temp());
    f << text;
    f.flush();
    IFF_CHECK_AS(IOError, f.good(), "write to " << out.temp() << " failed");
  }
  out.commit();
}

AtomicPath::AtomicPath(std::string final_path, bool owner)
    : final_(std::move(final_path)), temp_(partial_name(final_)), owner_(owner) {}

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
  IFF_CHECK_AS(IOError, !ec, "cannot rename " << temp_ << " to " << final_ << ": " << ec.message());
}

void AtomicPath::discard() {
  if (done_) return;
  done_ = true;
  if (owner_) std::remove(temp_.c_str());
}

}  // namespace iff
