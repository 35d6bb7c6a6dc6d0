// Streaming reader for NumPy .npy files (format versions 1.0, 2.0 and 3.0): little-endian
// float32 ('<f4') or float64 ('<f8'), C order. Elements are read in ranges, so an array
// larger than memory (e.g. the public Re_tau = 180 set, 21x400x32x33x16x4) never has to be
// loaded whole.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace iff {

struct NpyHeader {
  std::vector<std::size_t> shape;
  int word_size = 0;            ///< 4 (float32) or 8 (float64)
  std::size_t data_offset = 0;  ///< bytes before the first element
  std::size_t elements() const;
};

class NpyReader {
 public:
  /// Parses and validates the header; InputError naming the file and the problem
  /// (not .npy, big-endian, non-float dtype, Fortran order, truncated data).
  explicit NpyReader(const std::string& path);
  const NpyHeader& header() const { return h_; }
  /// Reads elements [first, first + count) converted to double.
  void read(std::size_t first, std::size_t count, double* out);

 private:
  std::string path_;
  NpyHeader h_;
  std::ifstream in_;
  std::vector<char> buf_;
};

}  // namespace iff
