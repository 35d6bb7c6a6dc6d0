// Rotary positional embedding along one axis (Su et al. 2021, "RoFormer", arXiv:2104.09864),
// in the form used by the reference IFactFormer code (libs/positional_encoding_module.py).
//
//   inv_freq_j = 10000^(-2j/d),  j = 0 .. d/2-1                        (buffer "inv_freq")
//   θ(p)       = [p·(scale/min_freq)·inv_freq, p·(scale/min_freq)·inv_freq]   (length d)
//   rot(q, p)  = q ∘ cos θ(p) + rotate_half(q) ∘ sin θ(p),
//   rotate_half([q1, q2]) = [−q2, q1]   (halves of the last axis)
//
// p is a coordinate in the units of the positions convention (see operators/ifactformer.hpp);
// min_freq = 1/64 and scale = 1 in the reference.
#pragma once

#include <torch/torch.h>

namespace iff::attention {

class RotaryEmbeddingImpl : public torch::nn::Module {
 public:
  /// `dim` must be even (it is the per-head query/key width).
  explicit RotaryEmbeddingImpl(int64_t dim, double min_freq = 1.0 / 64.0, double scale = 1.0);

  /// Angles θ for coordinates `coords` [n] → [n, dim] (in inv_freq's dtype).
  torch::Tensor forward(const torch::Tensor& coords) const;

  int64_t dim() const { return dim_; }
  torch::Tensor inv_freq;

 private:
  int64_t dim_;
  double min_freq_, scale_;
};
TORCH_MODULE(RotaryEmbedding);

/// [−x2, x1] for the two halves x1, x2 of the last axis.
torch::Tensor rotate_half(const torch::Tensor& x);

/// q ∘ cos θ + rotate_half(q) ∘ sin θ; θ broadcasts against q's last two axes [n, d].
torch::Tensor apply_rotary(const torch::Tensor& q, const torch::Tensor& theta);
/// The same with cos θ and sin θ given (shared by q and k, and by the layers of a model).
torch::Tensor apply_rotary(const torch::Tensor& q, const torch::Tensor& cos_theta, const torch::Tensor& sin_theta);

}  // namespace iff::attention
