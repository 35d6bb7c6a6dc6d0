// Low-rank axial kernel of the factorized attention (reference: libs/attention.py,
// LowRankKernel with rotary positions, no softmax, no residual diagonal).
//
//   q = rot(W_q a, p),  k = rot(W_k a, p)          a: [b, n, dim] pooled features on one axis
//   K[b, h, i, j] = scaling · Σ_d q[b, h, i, d] k[b, h, j, d]          (no softmax)
//
// W_q, W_k: Linear dim → heads·dim_head without bias ("to_q", "to_k"), Xavier-uniform
// initialised with gain 0.02; rot is the rotary embedding "pos_emb" (min_freq 1/64) on the
// axis coordinates p [n]. K acts along the axis: (K v)_i = Σ_j K_ij v_j (scaling 1: the
// reference does not weight by quadrature, so the sum is not normalised by n).
#pragma once

#include <torch/torch.h>

#include "attention/rotary_embedding.hpp"

namespace iff::attention {

class LowRankKernelImpl : public torch::nn::Module {
 public:
  /// `dim_head` is the per-head query/key width (dim_head·kernel_multiplier in the block).
  LowRankKernelImpl(int64_t dim, int64_t dim_head, int64_t heads, double scaling = 1.0);

  /// a: [b, n, dim], coords: [n] → K: [b, heads, n, n].
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& coords);

  torch::nn::Linear to_q{nullptr}, to_k{nullptr};
  RotaryEmbedding pos_emb{nullptr};

 private:
  int64_t dim_head_, heads_;
  double scaling_;
  // cos θ, sin θ of the last coordinates seen: a model applies its block to the same axis
  // positions in every layer (the key: the coordinates and the frequency buffer, each by
  // identity and version, and the dtype and device)
  struct RotaryCache {
    torch::Tensor coords, inv_freq, cos, sin;
    int64_t coords_version = 0, inv_freq_version = 0;
  } rotary_;
};
TORCH_MODULE(LowRankKernel);

}  // namespace iff::attention
