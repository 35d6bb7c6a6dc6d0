// Writes small .npy files for tests (format 1.0 or 2.0), including deliberately broken ones.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace iff::test {

inline void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const std::string& descr,
                      const void* data, std::size_t bytes, int version = 1, bool fortran = false,
                      std::size_t truncate_bytes = 0) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) dict += std::to_string(shape[i]) + (shape.size() == 1 ? "," : i + 1 < shape.size() ? ", " : "");
  dict += "), }";
  const std::size_t pre = version == 1 ? 10 : 12;
  std::size_t total = pre + dict.size() + 1;
  const std::size_t pad = (64 - total % 64) % 64;
  dict += std::string(pad, ' ') + "\n";
  std::ofstream f(path, std::ios::binary);
  f.write("\x93NUMPY", 6);
  const char ver[2] = {static_cast<char>(version), 0};
  f.write(ver, 2);
  if (version == 1) {
    const std::uint16_t n = dict.size();
    f.write(reinterpret_cast<const char*>(&n), 2);
  } else {
    const std::uint32_t n = dict.size();
    f.write(reinterpret_cast<const char*>(&n), 4);
  }
  f << dict;
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes - truncate_bytes));
}

}  // namespace iff::test
