// The middle of the parallel factorized block (IFactFormer-m) as one autograd function:
//
//   z = InstanceNorm(X) W_2ᵀ,   X = [K_x ⋆_x V, K_y ⋆_y V, K_z ⋆_z V] per head,   V = û W_vᵀ
//
// û [b, nx, ny, nz, dim] (the layer-normed block input), W_v [heads·dh, dim] ("to_v"),
// K_a [b, heads, n_a, n_a] the axial kernels, W_2 [d_out, 3·heads·dh] ("to_out.2", reference
// channel order c' = head·3·dh + axis·dh + c), InstanceNorm per sample and channel over the
// nx·ny·nz points (biased variance, no affine). Result z [b, nx·ny·nz, d_out].
//
// InstanceNorm acts on each channel alone, so the 3·heads·dh channels of X are never formed
// together: for each sample and group of heads (all heads while their intermediates fit in
// 256 MiB), the blocks X_{h,a} = K_a ⋆_a V_h ([n, dh] each) are made in sweeps over the
// points that use every intermediate while it is in cache (V_h per x-slab, then X_y and X_z
// from that slab; X_x per column chunk), their channel moments gathered per block and merged
// (Chan, Golub & LeVeque 1983), and then folded into z in one pass over it per group,
//   z += Σ_{h,a} X_{h,a} W'_{h,a}ᵀ − μ_{h,a} W'_{h,a}ᵀ,   W'_{h,a} = W_{2,(h,a)} diag(rstd_{h,a}),
// which equals Σ_{h,a} (X_{h,a} − μ_{h,a})·rstd_{h,a} W_{2,(h,a)}ᵀ up to round-off (float32
// round-off grows with |μ|/σ of X's channels). The products are small (16–96 deep) and run on libxsmm
// kernels where built with it (attention/row_gemm.hpp). The forward gives the same bits for
// any number of threads (every block's work and its moments' merge order are fixed); the
// backward sums per-thread parts, equal to round-off.
//
// Backward, with X̂ = (X_{h,a} − μ)·rstd and G = dz W_{2,(h,a)} (sums over the n points):
//   dW_{2,(h,a)} = dzᵀ X̂,   dX = rstd·(G − mean(G) − X̂·mean(G∘X̂)),
//   dV_h += K_aᵀ ⋆_a dX,    dK_a[i, j] = Σ_{other axes, c} dX[i, ·] V_h[j, ·],
//   dû += dV_h W_{v,h},     dW_{v,h} = dV_hᵀ û.
// It recomputes V_h and X_{h,a} and keeps only û, the weights, the kernels and μ, rstd per
// channel, so a training step holds O(b·n·dim) per block instead of O(b·n·3·heads·dh).
// In bf16-mixed arithmetic (attention/mixed_precision.hpp) the forward's products of V_h and
// z, and the backward's V_h, G, dû and the weight gradients dW_v, dW_2 take bf16 operands
// with float32 accumulation; the axial products, their adjoints, dK_a and the InstanceNorm
// moments stay in float32. A head's dV_h is summed over its three axes before it is rounded,
// except where the threads share that head's axes out: each part is then rounded alone, so
// the backward's result depends on the schedule by up to a bf16 rounding (float32 arithmetic:
// by round-off).
// Not twice differentiable. Forward and backward share one scratch buffer per calling
// thread, kept between calls (up to 256 MiB plus the backward's 4·n·dh values per thread:
// 130 MB on the demo grid), because a fresh mapping of that size per call costs a page fault
// per 4 KiB.
#pragma once

#include <torch/torch.h>

namespace iff::attention {

class SlabGroup;

/// Whether parallel_axial_core has a kernel for tensors like `t` (CPU, float32/float64,
/// built with BLAS).
bool axial_core_supported(const torch::Tensor& t);

/// What one forward of the core produced: z and μ, rstd [b, heads, 3, dh] per channel.
/// Activation checkpointing keeps it (O(b·n·d_out)) so that recomputing the block for its
/// backward skips the core's forward.
struct AxialCoreCache {
  torch::Tensor z, mean, rstd;
};

/// The most bytes the forward's intermediates (4·n·dh values per head) may take at once; the
/// heads that do not fit are handled in further groups (default 256 MiB: all five heads of
/// the 32×33×16 demo grid at once). Tests lower it to check the grouping.
void set_axial_core_group_bytes(double bytes);

/// z [b, nx·ny·nz, d_out] for û [b, nx, ny, nz, dim] (see above); heads = K_x.size(1).
/// `cache`: if it holds a result, that is returned (for the same inputs) instead of being
/// recomputed; if it is empty, it receives this one.
/// `slab`: û holds this rank's x planes of a field split over the group (attention/slab.hpp)
/// and K_x this rank's rows [b, heads, nx_local, nx]. V_h is gathered over the group one
/// head at a time for X_x, the InstanceNorm moments are merged over the group, and the
/// backward (core_backward_slab) runs its collectives per sample and head; the parameter
/// gradients are this rank's parts (their sum over the group: the whole field's).
torch::Tensor parallel_axial_core(const torch::Tensor& un, const torch::Tensor& w_v, const torch::Tensor& k_x,
                                  const torch::Tensor& k_y, const torch::Tensor& k_z, const torch::Tensor& w_2,
                                  double eps, AxialCoreCache* cache = nullptr, const SlabGroup* slab = nullptr);

}  // namespace iff::attention
