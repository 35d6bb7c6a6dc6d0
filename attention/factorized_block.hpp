// Factorized attention block over a 3-D field (reference: libs/factorization_module.py,
// FABlock3D_m "parallel" and FABlock3D_o "chained").
//
// For u [b, nx, ny, nz, dim] (channels last) and axis coordinates p_x, p_y, p_z:
//   û   = LayerNorm(u)                                                  ("in_norm")
//   V   = W_v û,  split into `heads` heads of width dim_head              ("to_v", no bias)
//   a_x = Reducer_x(mean_{y,z} W_in û),  likewise a_y, a_z                ("to_in", "to_x.0",
//                                                                          "to_y.1", "to_z.1")
//   K_x = LowRankKernel_x(a_x, p_x),  K_y, K_z                           ("low_rank_kernel_*")
//   parallel (-m): X = [K_x ⋆_x V, K_y ⋆_y V, K_z ⋆_z V] per head, channel
//                  c' = head·3·dim_head + axis·dim_head + c
//   chained  (-o): X = K_z ⋆_z (K_y ⋆_y (K_x ⋆_x V)), channel c' = head·dim_head + c
//   out = W_4 GELU(W_2 InstanceNorm(X))                                  ("to_out.2", "to_out.4")
// where (K_x ⋆_x V)[i, l, r] = Σ_j K_x[i, j] V[j, l, r] per head, and InstanceNorm
// normalises each channel over the nx·ny·nz points of each sample (biased variance,
// eps 1e-5, no affine). Gaussian-error GELU (erf form).
//
// Reference names kept for state_dict import; the reference's parameter-free modules
// (Rearrange at to_y.0 / to_z.0 / to_out.1, InstanceNorm3d at to_out.0, GELU at to_out.3)
// are Identity placeholders here, their work is done in forward().
// Implementation notes: the two linear maps before pooling commute with the mean, so
// they act on the pooled [b, n, dim] features (exact up to round-off). On the CPU the
// parallel form runs V, the axial products, InstanceNorm and to_out.2 as one fused function
// (attention/axial_core.hpp) that never forms the [b, n, 3·heads·dim_head] tensor; elsewhere,
// and for the chained form, values are kept head-major [b, heads, nx, ny, nz, dim_head] so
// that each axial product is one batched GEMM.
//
// Split over a slab group (set_slab, attention/slab.hpp), u holds this rank's x planes: the
// pooled means over x (for a_y, a_z) and the InstanceNorm moments are sums over the group,
// the x-axis pooled features are gathered (K_x, [n_x, n_x], is formed whole on every rank),
// and V is gathered along x for the product with this rank's rows of K_x (gathered again
// for the backward, not kept); everything else is pointwise or along y and z, on the slab
// alone. The parallel form runs the fused core on the slab (one head's gathered V at a
// time); elsewhere the batched GEMMs with slab_product_x. Either equals the whole field's
// to round-off.
#pragma once

#include <torch/torch.h>

#include "attention/axial_core.hpp"
#include "attention/factorization.hpp"
#include "attention/low_rank_kernel.hpp"
#include "attention/pooling_reducer.hpp"
#include "attention/slab.hpp"

namespace iff::attention {

struct FactorizedBlockOptions {
  int64_t dim = 96;               ///< channel width of the field
  int64_t dim_head = 96;          ///< value width per head
  int64_t heads = 5;              ///< number of heads
  int64_t kernel_multiplier = 3;  ///< query/key width per head = dim_head·kernel_multiplier
  Factorization factorization = Factorization::parallel;
  double instance_norm_eps = 1e-5;  ///< InstanceNorm3d default
};

class FactorizedBlockImpl : public torch::nn::Module {
 public:
  explicit FactorizedBlockImpl(const FactorizedBlockOptions& o);

  /// u: [b, nx, ny, nz, dim]; p_x [nx], p_y [ny], p_z [nz] → [b, nx, ny, nz, dim].
  torch::Tensor forward(const torch::Tensor& u, const torch::Tensor& p_x, const torch::Tensor& p_y,
                        const torch::Tensor& p_z);
  /// The same, with the fused core's result cached (see AxialCoreCache; unused where the
  /// core does not run).
  torch::Tensor forward(const torch::Tensor& u, const torch::Tensor& p_x, const torch::Tensor& p_y,
                        const torch::Tensor& p_z, AxialCoreCache* cache);

  /// The three axial kernels [b, heads, n_axis, n_axis] for u (exposed for tests).
  std::array<torch::Tensor, 3> kernels(const torch::Tensor& u_normed, const torch::Tensor& p_x,
                                       const torch::Tensor& p_y, const torch::Tensor& p_z);

  const FactorizedBlockOptions& options() const { return o_; }
  /// Splits the block's field over `slab` (null: the whole field on this rank). The group
  /// must outlive the block's use of it.
  void set_slab(std::shared_ptr<const SlabGroup> slab) { slab_ = std::move(slab); }
  const SlabGroup* slab() const { return slab_.get(); }

  torch::nn::LayerNorm in_norm{nullptr};
  torch::nn::Linear to_v{nullptr}, to_in{nullptr};
  torch::nn::Sequential to_x{nullptr}, to_y{nullptr}, to_z{nullptr};
  PoolingReducer reduce_x{nullptr}, reduce_y{nullptr}, reduce_z{nullptr};
  LowRankKernel low_rank_kernel_x{nullptr}, low_rank_kernel_y{nullptr}, low_rank_kernel_z{nullptr};
  torch::nn::Sequential to_out{nullptr};
  torch::nn::Linear out_proj{nullptr}, out_final{nullptr};  // to_out[2], to_out[4]

 private:
  FactorizedBlockOptions o_;
  std::shared_ptr<const SlabGroup> slab_;
};
TORCH_MODULE(FactorizedBlock);

/// InstanceNorm without affine over channels-last x [b, N, C]:
///   (x − μ) / sqrt(σ² + eps), μ and σ² (biased) over the N points per sample and channel.
torch::Tensor instance_norm_channels_last(const torch::Tensor& x, double eps);
/// The same for x holding this rank's points of a field split over `slab` (n_total points
/// in all): μ = Σ_group Σ x / n_total, then σ² = Σ_group Σ (x − μ)² / n_total.
torch::Tensor instance_norm_channels_last(const torch::Tensor& x, double eps, const SlabGroup& slab,
                                          int64_t n_total);

}  // namespace iff::attention
