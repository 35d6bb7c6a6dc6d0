#include "attention/point_linear.hpp"

#include <ATen/record_function.h>

#include "attention/mixed_precision.hpp"
#include "attention/parallel_items.hpp"
#include "attention/row_gemm.hpp"
#include "io/error.hpp"

namespace iff::attention {

namespace {

using torch::Tensor;

constexpr int64_t kRows = 256;  // points per item: four 64-row RowGemm blocks' worth, in L2

/// C [rows × N] = A [rows × K] B [K × N] (all contiguous), blocks of kRows rows on the
/// intra-op threads; then, with `bias`, C += bias per row while the block is in cache.
template <class T>
void rows_times(const T* A, const T* B, T* C, int64_t rows, int64_t N, int64_t K, const T* bias) {
  const int64_t blocks = (rows + kRows - 1) / kRows, last = rows - (blocks - 1) * kRows;
  const RowGemm<T> full(std::min(rows, kRows), N, K, K, N, N, T(0)), tail(last, N, K, K, N, N, T(0));
  for_each_item(blocks, [&](int64_t i) {
    const int64_t r = i + 1 == blocks ? last : kRows;
    T* c = C + i * kRows * N;
    (i + 1 == blocks ? tail : full)(A + i * kRows * K, B, c);
    if (bias != nullptr)
      for (int64_t p = 0; p < r; ++p)
        for (int64_t o = 0; o < N; ++o) c[p * N + o] += bias[o];
  });
}

/// rows_times in bf16-mixed arithmetic: C = bf16(A) bf16(B) (+ bias), float32 accumulation.
void rows_times_mixed(const float* A, const float* B, float* C, int64_t rows, int64_t N, int64_t K,
                      const float* bias) {
  const int64_t blocks = (rows + kRows - 1) / kRows, last = rows - (blocks - 1) * kRows;
  const Bf16Matrix Bb(B, K, N, N);
  const Bf16Gemm full(std::min(rows, kRows), N, K, K, N, 0.0f), tail(last, N, K, K, N, 0.0f);
  for_each_item(blocks, [&](int64_t i) {
    const int64_t r = i + 1 == blocks ? last : kRows;
    float* c = C + i * kRows * N;
    (i + 1 == blocks ? tail : full)(A + i * kRows * K, Bb, c);
    if (bias != nullptr)
      for (int64_t p = 0; p < r; ++p)
        for (int64_t o = 0; o < N; ++o) c[p * N + o] += bias[o];
  });
}

struct PointLinear : torch::autograd::Function<PointLinear> {
  static Tensor forward(torch::autograd::AutogradContext* ctx, const Tensor& x_in, const Tensor& w_in,
                        const Tensor& b, bool gelu) {  // b [out], or empty for none
    auto x = x_in.contiguous(), w = w_in.contiguous();
    const int64_t in = w.size(1), out = w.size(0), rows = x.numel() / in;
    auto sizes = x.sizes().vec();
    sizes.back() = out;
    auto y = torch::empty(sizes, x.options());
    auto wt = w.t().contiguous();  // [in, out]
    // torch's GELU over the whole input (vectorised erf; per block of points its dispatch
    // cost more than the pass), freed after the product: the backward recomputes it
    const auto a = gelu ? torch::gelu(x) : x;
    RECORD_FUNCTION("point_linear", std::vector<c10::IValue>());
    const auto bias = b.contiguous();
    if (x.scalar_type() == torch::kFloat32 && arithmetic() == Arithmetic::bf16_mixed && out <= Bf16Gemm::kMaxColumns)
      rows_times_mixed(a.data_ptr<float>(), wt.data_ptr<float>(), y.data_ptr<float>(), rows, out, in,
                       bias.numel() > 0 ? bias.data_ptr<float>() : nullptr);
    else
      AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "point_linear", [&] {
        rows_times<scalar_t>(a.data_ptr<scalar_t>(), wt.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(), rows, out, in,
                             bias.numel() > 0 ? bias.data_ptr<scalar_t>() : nullptr);
      });
    ctx->save_for_backward({x, w});
    ctx->saved_data["bias"] = b.numel() > 0;
    ctx->saved_data["gelu"] = gelu;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1];
    const bool gelu = ctx->saved_data["gelu"].toBool();
    const int64_t in = w.size(1), out = w.size(0), rows = x.numel() / in;
    auto dy = grad[0].contiguous();
    Tensor dx, dw, db;
    RECORD_FUNCTION("point_linear_backward", std::vector<c10::IValue>());
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "point_linear_backward", [&] {
      if (ctx->needs_input_grad(0)) {  // d act(x) = dy W, then through the GELU
        dx = torch::empty_like(x);
        rows_times<scalar_t>(dy.data_ptr<scalar_t>(), w.data_ptr<scalar_t>(), dx.data_ptr<scalar_t>(), rows, in, out,
                             nullptr);
        if (gelu) dx = at::gelu_backward(dx, x);
      }
      if (ctx->needs_input_grad(1)) {  // dW = dyᵀ act(x)
        const auto a = gelu ? torch::gelu(x) : x;
        dw = torch::empty_like(w);
        gemm_rm(true, false, out, in, rows, dy.data_ptr<scalar_t>(), out, a.data_ptr<scalar_t>(), in, scalar_t(0),
                dw.data_ptr<scalar_t>(), in);
      }
    });
    if (ctx->saved_data["bias"].toBool() && ctx->needs_input_grad(2)) db = dy.view({rows, out}).sum(0);
    return {dx, dw, db, Tensor()};
  }
};

}  // namespace

bool point_linear_own_kernels(const torch::Tensor& x) {
  return x.device().is_cpu() && (x.scalar_type() == torch::kFloat32 || x.scalar_type() == torch::kFloat64) &&
         have_blas() && small_gemm_jit();
}

torch::Tensor point_linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, PointInput input) {
  IFF_CHECK(w.dim() == 2 && x.dim() >= 1 && x.size(-1) == w.size(1) && (!b.defined() || b.sizes() == w.sizes().slice(0, 1)),
            "point_linear: inconsistent shapes " << x.sizes() << ", " << w.sizes() << (b.defined() ? ", bias " : "")
                                                 << (b.defined() ? b.sizes() : torch::IntArrayRef{}));
  const bool gelu = input == PointInput::gelu;
  if (!point_linear_own_kernels(x) || x.numel() == 0 || w.scalar_type() != x.scalar_type() ||
      (b.defined() && b.scalar_type() != x.scalar_type()))
    return torch::linear(gelu ? torch::gelu(x) : x, w, b);
  // an autograd function's inputs must be defined: no bias is passed as an empty one
  return PointLinear::apply(x, w, b.defined() ? b : torch::empty({0}, x.options()), gelu);
}

}  // namespace iff::attention
