#include "attention/mixed_precision.hpp"

#include <atomic>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#endif

namespace iff::attention {

namespace {

thread_local Arithmetic current = Arithmetic::fp32;
std::atomic<bool> native_on{true};

struct Bf16Features {
  bool avx512 = false, amx = false;
};

/// CPUID leaf 7: sub-leaf 1 EAX bit 5 is AVX512_BF16, sub-leaf 0 EDX bit 22 AMX-BF16; the
/// operating system must also save the ZMM state (XCR0 bits 5–7, with SSE/AVX bits 1–2).
Bf16Features detect() {
  Bf16Features f;
#if defined(__x86_64__) && defined(__GNUC__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return f;  // OSXSAVE
  unsigned lo = 0, hi = 0;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0xe6u) != 0xe6u) return f;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 16))) return f;  // AVX512F
  const bool amx_bf16 = d & (1u << 22);
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx512 = a & (1u << 5);
  f.amx = amx_bf16 && (lo & 0x60000u) == 0x60000u;  // XTILECFG, XTILEDATA
#endif
  return f;
}

const Bf16Features& features() {
  static const Bf16Features f = detect();
  return f;
}

}  // namespace

Arithmetic arithmetic() { return current; }

ArithmeticGuard::ArithmeticGuard(Arithmetic a) : previous_(current) { current = a; }
ArithmeticGuard::~ArithmeticGuard() { current = previous_; }

bool cpu_has_bf16() { return features().avx512 || features().amx; }

const char* cpu_bf16_features() {
  const auto& f = features();
  if (f.amx && f.avx512) return "AMX-BF16 and AVX512-BF16";
  if (f.amx) return "AMX-BF16";
  return f.avx512 ? "AVX512-BF16" : "none";
}

bool bf16_native() {
#ifdef IFF_HAVE_LIBXSMM
  return native_on && features().avx512;
#else
  return false;
#endif
}

void set_bf16_native(bool on) { native_on = on; }

}  // namespace iff::attention
