// The middle of the parallel factorized block (IFactFormer-m) as one autograd function:
//
//   z = InstanceNorm(X) W_2ᵀ,   X = [K_x ⋆_x V, K_y ⋆_y V, K_z ⋆_z V] per head,   V = û W_vᵀ
//
// û [b, nx, ny, nz, dim] (the layer-normed block input), W_v [heads·dh, dim] ("to_v"),
// K_a [b, heads, n_a, n_a] the axial kernels, W_2 [d_out, 3·heads·dh] ("to_out.2", reference
// channel order c' = head·3·dh + axis·dh + c), InstanceNorm per sample and channel over the
// nx·ny·nz points (biased variance, no affine). Result z [b, nx·ny·nz, d_out].
//
// InstanceNorm acts on each channel alone, so X is never formed: for each sample, head h
// and axis a, the block X_{h,a} = K_a ⋆_a V_h ([n, dh], cache-sized) is normalised with its
// own mean μ and rstd = (σ² + eps)^{-1/2} and folded into z straight away,
//   z += (X_{h,a} − μ) (W_{2,(h,a)} diag(rstd))ᵀ,
// which equals (X_{h,a} − μ)·rstd W_{2,(h,a)}ᵀ up to round-off. Each axial product is a
// GEMM over head-major V_h [nx, ny, nz, dh]: one for x, nx for y, nx·ny for z.
//
// Backward, with X̂ = (X_{h,a} − μ)·rstd and G = dz W_{2,(h,a)} (sums over the n points):
//   dW_{2,(h,a)} = dzᵀ X̂,   dX = rstd·(G − mean(G) − X̂·mean(G∘X̂)),
//   dV_h += K_aᵀ ⋆_a dX,    dK_a[i, j] = Σ_{other axes, c} dX[i, ·] V_h[j, ·],
//   dû += dV_h W_{v,h},     dW_{v,h} = dV_hᵀ û.
// It recomputes V_h and X_{h,a} and keeps only û, the weights, the kernels and μ, rstd per
// channel, so a training step holds O(b·n·dim) per block instead of O(b·n·3·heads·dh).
// Not twice differentiable.
#pragma once

#include <torch/torch.h>

namespace iff::attention {

/// Whether parallel_axial_core has a kernel for tensors like `t` (CPU, float32/float64,
/// built with BLAS).
bool axial_core_supported(const torch::Tensor& t);

/// What one forward of the core produced: z and μ, rstd [b, heads, 3, dh] per channel.
/// Activation checkpointing keeps it (O(b·n·d_out)) so that recomputing the block for its
/// backward skips the core's forward.
struct AxialCoreCache {
  torch::Tensor z, mean, rstd;
};

/// z [b, nx·ny·nz, d_out] for û [b, nx, ny, nz, dim] (see above); heads = K_x.size(1).
/// `cache`: if it holds a result, that is returned (for the same inputs) instead of being
/// recomputed; if it is empty, it receives this one.
torch::Tensor parallel_axial_core(const torch::Tensor& un, const torch::Tensor& w_v, const torch::Tensor& k_x,
                                  const torch::Tensor& k_y, const torch::Tensor& k_z, const torch::Tensor& w_2,
                                  double eps, AxialCoreCache* cache = nullptr);

}  // namespace iff::attention
