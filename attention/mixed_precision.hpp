// bfloat16 mixed precision for the CPU kernels of attention/ (the fused axial core and
// point_linear): which arithmetic the calling thread's products use, whether the CPU has
// bfloat16 dot-product instructions, and round-to-nearest-even conversion to bfloat16.
//
// bfloat16 keeps float32's 8-bit exponent and 7 of its 23 mantissa bits: rounding an operand
// changes it by at most 2⁻⁹ relative, so a sum of `depth` products of rounded operands with
// float32 accumulation is off by about 2⁻⁸·√depth times the root-mean-square of its terms
// (independent rounding errors; Kalamkar et al. 2019, "A study of BFLOAT16 for deep learning
// training"). On AVX512-BF16 (VDPBF16PS) a bf16 product runs about twice as fast as a
// float32 one; elsewhere the same rounding is emulated on float32 kernels (the same values
// to float32 round-off, no faster), which tests use to check the arithmetic on any CPU.
#pragma once

#include <cstdint>
#include <cstring>

#include "io/compute.hpp"

namespace iff::attention {

/// The arithmetic of the calling thread's products (fp32 unless an ArithmeticGuard is alive).
Arithmetic arithmetic();

/// Sets the calling thread's arithmetic for its lifetime (like torch's autocast guard).
/// The kernels read it when they are called, on the calling thread: a backward pass run by
/// the same thread (libtorch's CPU autograd) sees the same arithmetic as its forward.
class ArithmeticGuard {
 public:
  explicit ArithmeticGuard(Arithmetic a);
  ~ArithmeticGuard();
  ArithmeticGuard(const ArithmeticGuard&) = delete;
  ArithmeticGuard& operator=(const ArithmeticGuard&) = delete;

 private:
  Arithmetic previous_;
};

/// Whether the CPU (and the operating system) supports AVX512-BF16 or AMX-BF16.
bool cpu_has_bf16();
/// "AVX512-BF16", "AMX-BF16 and AVX512-BF16" or "none", for logs and benchmarks.
const char* cpu_bf16_features();

/// Whether bf16 products run on native bf16 kernels (CPU support and libxsmm built in, and
/// not switched off by set_bf16_native(false)); otherwise they are emulated on float32 ones.
bool bf16_native();
/// Switches native bf16 kernels off (false) or back on where available (true): tests and
/// benchmarks compare the two in one process. Not thread-safe: set it between products.
void set_bf16_native(bool on);

/// The bits of x rounded to bfloat16, to nearest with ties to even; NaN stays a quiet NaN.
inline uint16_t to_bf16_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

/// The float with bfloat16 bits `bits` (exact: bfloat16 is float32's upper half).
inline float from_bf16_bits(uint16_t bits) {
  const uint32_t u = static_cast<uint32_t>(bits) << 16;
  float r;
  std::memcpy(&r, &u, sizeof r);
  return r;
}

/// x rounded to the nearest bfloat16 value (as a float).
inline float round_bf16(float x) { return from_bf16_bits(to_bf16_bits(x)); }

}  // namespace iff::attention
