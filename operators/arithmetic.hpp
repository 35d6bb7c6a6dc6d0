// The arithmetic a float32 operator computes in (train.precision, rollout.precision,
// bench/operators/bench_precision): the check that a run can have it, and the scope that sets
// it (io/compute.hpp, attention/mixed_precision.hpp).
//
// bf16-mixed on the CPU runs the fused axial core's products (forward and backward) and
// point_linear's forward products on bf16 operands; on CUDA it is torch's autocast to bfloat16 (matrix products and convolutions in
// bf16, reductions and FFTs in float32). On a CPU without AVX512-BF16 it is refused: the
// same arithmetic emulated on float32 kernels gives the same values but runs no faster than
// float32. IFF_BF16_EMULATE=1 allows that emulation (tests use it to run bf16-mixed on any CPU).
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>

#include "attention/mixed_precision.hpp"
#include "io/compute.hpp"

namespace iff::operators {

/// InputError naming `key` when `a` cannot run with these weights and device: bf16-mixed
/// needs float32 weights, and on the CPU AVX512-BF16 (or IFF_BF16_EMULATE=1).
void require_arithmetic(Arithmetic a, const torch::Device& device, torch::ScalarType dtype, const std::string& key);

/// "fp32", or "bf16-mixed (native AVX512-BF16)" / "(emulated)" / "(CUDA autocast)", for logs.
std::string describe_arithmetic(Arithmetic a, const torch::Device& device);

/// Sets the calling thread's arithmetic for the device while it lives: the CPU kernels'
/// arithmetic, and on CUDA torch's autocast.
class ArithmeticScope {
 public:
  ArithmeticScope(Arithmetic a, const torch::Device& device);
  ~ArithmeticScope();
  ArithmeticScope(const ArithmeticScope&) = delete;
  ArithmeticScope& operator=(const ArithmeticScope&) = delete;

 private:
  attention::ArithmeticGuard cpu_;
  std::optional<bool> autocast_was_;  // set while CUDA autocast is on
  at::ScalarType autocast_dtype_ = at::kHalf;
};

}  // namespace iff::operators
