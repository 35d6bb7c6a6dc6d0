#include "operators/arithmetic.hpp"

#include <ATen/autocast_mode.h>

#include <cstdlib>
#include <cstring>

#include "io/error.hpp"

namespace iff::operators {

namespace {

bool emulation_allowed() {
  const char* e = std::getenv("IFF_BF16_EMULATE");
  return e != nullptr && std::strcmp(e, "1") == 0;
}

}  // namespace

void require_arithmetic(Arithmetic a, const torch::Device& device, torch::ScalarType dtype, const std::string& key) {
  if (a == Arithmetic::fp32) return;
  IFF_REQUIRE(dtype == torch::kFloat32, key << " bf16-mixed needs float32 weights (the dtype is " << dtype << ")");
  if (device.is_cuda()) return;
  IFF_REQUIRE(attention::cpu_has_bf16() || emulation_allowed(),
              key << " bf16-mixed: this CPU has no AVX512-BF16, so bf16 would run emulated and slower than fp32 "
                     "(use fp32, or set IFF_BF16_EMULATE=1 to emulate it)");
}

std::string describe_arithmetic(Arithmetic a, const torch::Device& device) {
  if (a == Arithmetic::fp32) return "fp32";
  if (device.is_cuda()) return "bf16-mixed (CUDA autocast)";
  return attention::bf16_native() ? "bf16-mixed (native " + std::string(attention::cpu_bf16_features()) + ")"
                                  : "bf16-mixed (emulated)";
}

ArithmeticScope::ArithmeticScope(Arithmetic a, const torch::Device& device) : cpu_(a) {
  if (a != Arithmetic::bf16_mixed || !device.is_cuda()) return;
  autocast_was_ = at::autocast::is_enabled();
  autocast_dtype_ = at::autocast::get_autocast_gpu_dtype();
  at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
  at::autocast::set_enabled(true);
}

ArithmeticScope::~ArithmeticScope() {
  if (!autocast_was_) return;
  at::autocast::set_enabled(*autocast_was_);
  at::autocast::set_autocast_gpu_dtype(autocast_dtype_);
  at::autocast::clear_cache();
}

}  // namespace iff::operators
