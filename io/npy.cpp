#include "io/npy.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <numeric>
#include <regex>

#include "io/error.hpp"

namespace iff {

std::size_t NpyHeader::elements() const {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
}

namespace {

std::string dict_value(const std::string& dict, const std::string& key, const std::string& path) {
  const std::regex re("['\"]" + key + "['\"]\\s*:\\s*");
  std::smatch m;
  IFF_REQUIRE(std::regex_search(dict, m, re), "npy file " << path << ": header has no '" << key << "'");
  return dict.substr(m.position(0) + m.length(0));
}

}  // namespace

NpyReader::NpyReader(const std::string& path) : path_(path) {
  IFF_REQUIRE(std::filesystem::is_regular_file(path), "npy file " << path << " does not exist");
  in_.open(path, std::ios::binary);
  IFF_REQUIRE(in_.good(), "npy file " << path << " cannot be read");
  char magic[8] = {};
  in_.read(magic, 8);
  IFF_REQUIRE(in_.gcount() == 8 && std::memcmp(magic, "\x93NUMPY", 6) == 0,
              "file " << path << " is not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(magic[6]);
  IFF_REQUIRE(major >= 1 && major <= 3, "npy file " << path << ": unsupported format version " << major);
  std::size_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    in_.read(reinterpret_cast<char*>(b), 2);
    header_len = b[0] | (b[1] << 8);
    h_.data_offset = 10 + header_len;
  } else {
    unsigned char b[4];
    in_.read(reinterpret_cast<char*>(b), 4);
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::size_t>(b[3]) << 24);
    h_.data_offset = 12 + header_len;
  }
  IFF_REQUIRE(in_.good() && header_len < (1u << 24), "npy file " << path << ": truncated header");
  std::string dict(header_len, '\0');
  in_.read(dict.data(), header_len);
  IFF_REQUIRE(static_cast<std::size_t>(in_.gcount()) == header_len, "npy file " << path << ": truncated header");

  // descr: '<f4' | '<f8'
  std::string descr = dict_value(dict, "descr", path);
  IFF_REQUIRE(descr.size() >= 5 && (descr[0] == '\'' || descr[0] == '"'),
              "npy file " << path << ": unsupported dtype (structured arrays are not supported)");
  const auto close = descr.find(descr[0], 1);
  descr = descr.substr(1, close - 1);
  // quoted in messages below: only printable text, at most 16 characters
  IFF_REQUIRE(descr.size() <= 16 && std::all_of(descr.begin(), descr.end(), [](char c) { return c >= 0x20 && c < 0x7f; }),
              "npy file " << path << ": unreadable dtype in the header");
  IFF_REQUIRE(descr.size() >= 3, "npy file " << path << ": unreadable dtype '" << descr << "'");
  IFF_REQUIRE(descr[0] != '>', "npy file " << path << ": big-endian dtype '" << descr
                                            << "' is not supported (convert with arr.astype('<f4'))");
  IFF_REQUIRE(descr[1] == 'f', "npy file " << path << ": dtype '" << descr
                                          << "' is not floating point (need '<f4' or '<f8')");
  IFF_REQUIRE(descr == "<f4" || descr == "<f8", "npy file " << path << ": dtype '" << descr
                                                             << "' not supported (need '<f4' or '<f8')");
  h_.word_size = descr == "<f4" ? 4 : 8;

  const std::string fo = dict_value(dict, "fortran_order", path);
  IFF_REQUIRE(fo.rfind("False", 0) == 0, "npy file " << path << ": Fortran-ordered arrays are not supported");

  std::string shape = dict_value(dict, "shape", path);
  IFF_REQUIRE(!shape.empty() && shape[0] == '(', "npy file " << path << ": unreadable shape");
  shape = shape.substr(1, shape.find(')') - 1);
  std::size_t pos = 0;
  while (pos < shape.size()) {
    while (pos < shape.size() && (shape[pos] == ' ' || shape[pos] == ',')) ++pos;
    if (pos >= shape.size()) break;
    std::size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(shape.substr(pos), &used);
    } catch (const std::exception&) {
      IFF_REQUIRE(false, "npy file " << path << ": unreadable shape in the header");
    }
    IFF_REQUIRE(v >= 0, "npy file " << path << ": negative dimension");
    h_.shape.push_back(static_cast<std::size_t>(v));
    pos += used;
  }
  std::size_t elements = 1;
  for (std::size_t d : h_.shape) {
    IFF_REQUIRE(d == 0 || elements <= std::numeric_limits<std::size_t>::max() / 8 / d,
                "npy file " << path << ": the shape in the header is too large");
    elements *= d;
  }

  const auto size = std::filesystem::file_size(path);
  const std::size_t need = h_.data_offset + h_.elements() * h_.word_size;
  IFF_REQUIRE(size >= need, "npy file " << path << " is truncated: " << size << " bytes, header promises " << need);
}

void NpyReader::read(std::size_t first, std::size_t count, double* out) {
  IFF_CHECK(first + count <= h_.elements(), "npy read past the end of " << path_);
  if (count == 0) return;  // (an empty array: nothing to copy, and `out` may be null)
  buf_.resize(count * h_.word_size);
  in_.clear();
  in_.seekg(static_cast<std::streamoff>(h_.data_offset + first * h_.word_size));
  in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  IFF_CHECK_AS(InputError, static_cast<std::size_t>(in_.gcount()) == buf_.size(),
               "npy file " << path_ << ": short read (file truncated while reading?)");
  // .npy data are little-endian; this machine is too (x86_64, aarch64)
  if (h_.word_size == 4) {
    for (std::size_t i = 0; i < count; ++i) {
      float f;
      std::memcpy(&f, buf_.data() + 4 * i, 4);
      out[i] = f;
    }
  } else {
    std::memcpy(out, buf_.data(), buf_.size());
  }
}

}  // namespace iff
