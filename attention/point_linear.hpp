// The per-point linear map y = act(x) Wᵀ (+ b) over the last axis of x [..., in] — a Linear,
// or a 1×1 convolution on channels-last data, after an optional exact GELU — for the
// IFactFormer's maps over all n points (to_out.4 after its GELU, the Fourier-feature Linear,
// the lifting and projection convolutions).
//
// These products are tall and thin (32×33×16 = 16,896 points × 96 × 96). OpenBLAS, which
// torch::linear calls, runs them at ~40% of its large-sgemm rate on two threads (measured:
// 4.8 ms for 311 MFLOP, 65 GFLOP/s, beside 160 GFLOP/s for a 4096² sgemm), because it packs
// and splits them for large products. On the CPU, with libxsmm kernels built in and switched
// on (attention/row_gemm.hpp), point_linear instead runs RowGemm on blocks of kRows points
// handed out over the intra-op threads as they free up; its backward likewise (d act(x) =
// dy W per block; dW = dyᵀ act(x) and db = Σ dy over all points through BLAS). act(x) is
// not kept for the backward (it recomputes it from x), so that a training step without
// checkpointing holds one tensor less per layer. Elsewhere it is torch::linear (after
// torch::gelu). Both give the same values to round-off. In bf16-mixed arithmetic
// (attention/mixed_precision.hpp) the forward's product on its own kernels takes bf16
// operands (Bf16Gemm, float32 accumulation); the backward stays float32.
#pragma once

#include <torch/torch.h>

namespace iff::attention {

/// What point_linear applies to x before the product.
enum class PointInput { as_is, gelu };

/// act(x) Wᵀ + b for x [..., in], w [out, in], b [out] or undefined → [..., out]; act is the
/// identity or the exact (erf) GELU.
torch::Tensor point_linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b = {},
                           PointInput input = PointInput::as_is);

/// Whether point_linear runs its own kernels for tensors like `x` (CPU, float32/float64,
/// libxsmm kernels switched on); otherwise it calls torch::linear.
bool point_linear_own_kernels(const torch::Tensor& x);

}  // namespace iff::attention
