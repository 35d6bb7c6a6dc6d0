// IFactFormer-m (parallel factorized attention) and IFactFormer-o (chained), following the
// reference implementation huiyu-2002/IFactFormer-m (libs/model.py) name for name, so that
// a reference state_dict maps one to one.
//
// Layout: input u [b, nx, ny, nz, in_dim] (in_time_window 1) or [b, T, nx, ny, nz, in_dim]
// (T = in_time_window, oldest first); output [b, nx, ny, nz, out_dim]. Channels last,
// normalised velocity components (u, v, w).
//
//   h_0 = Conv2d_{(T,1)}(GELU(GroupedConv1x1(u)))               to_in.0 (groups in_dim), to_in.2
//   h_0 += Linear([sin 2π pB, cos 2π pB])                       encoder.layers.0.0.{0._B, 1}
//   h_{k+1} = h_k + Block(h_k) / n_layer,  k = 0 .. n_layer−1    encoder.layers.0.1 (shared)
//   out = Conv1x1(GELU(Conv1x1(h)))                              simple_to_out.1, .3
// p = (x, y, z) node positions (see Positions), B ∈ R^{3 × dim/2} fixed Gaussian (σ = 8).
// Split over x-slabs (set_slab), every layer but the factorized blocks is pointwise and runs
// on the slab alone (the Fourier features of the slab's nodes). Exact erf GELU throughout. Defaults (dim 96, heads 5, dim_head 96, kernel_multiplier 3,
// n_layer 10, in_dim = out_dim = 3, T = 1): 1,163,331 parameters (counting _B).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "attention/factorized_block.hpp"
#include "operators/model_spec.hpp"

namespace iff::operators {

/// Gaussian Fourier features [sin 2π pB, cos 2π pB] (reference GaussianFourierFeatureTransform).
class GaussianFourierFeaturesImpl : public torch::nn::Module {
 public:
  GaussianFourierFeaturesImpl(int64_t in_channels, int64_t mapping_size, double scale);
  /// p: [n, in_channels] → [n, 2·mapping_size]. The features of the last p are kept and
  /// returned again while p's values, B (by identity and version) and neither requiring a
  /// gradient hold: the node positions are the same for every forward.
  torch::Tensor forward(const torch::Tensor& p);
  torch::Tensor B;  ///< "_B", fixed (requires_grad false), part of the state_dict

 private:
  struct Kept {
    torch::Tensor p, B, features;
    int64_t b_version = -1;
  } kept_;
};
TORCH_MODULE(GaussianFourierFeatures);

class IFactFormerImpl : public torch::nn::Module {
 public:
  IFactFormerImpl(const IFactFormerOptions& o, const AxisCoordinates& positions);

  torch::Tensor forward(const torch::Tensor& u);

  /// Replaces the axis positions (sizes fix the grid the model accepts).
  void set_positions(const AxisCoordinates& positions);
  /// Splits every sample over the x-slabs of `slab` (attention/slab.hpp; null: whole fields):
  /// forward then takes and returns this rank's planes [b, (T,) nx_local, ny, nz, c] of the
  /// grid set by the positions, and its parameter gradients summed over the group are the
  /// unsplit model's.
  void set_slab(std::shared_ptr<const attention::SlabGroup> slab);
  const attention::SlabGroup* slab() const { return slab_.get(); }
  const IFactFormerOptions& options() const { return o_; }
  IFactFormerOptions& options() { return o_; }

  torch::nn::Sequential to_in{nullptr};
  torch::nn::Module* encoder_module() { return encoder_.get(); }
  torch::nn::Sequential simple_to_out{nullptr};

  std::vector<GaussianFourierFeatures> fourier;
  std::vector<torch::nn::Linear> fourier_linear;
  std::vector<attention::FactorizedBlock> blocks;

 private:
  IFactFormerOptions o_;
  std::shared_ptr<torch::nn::Module> encoder_;
  torch::nn::Conv2d in_group{nullptr}, in_window{nullptr};
  torch::nn::Conv1d out_1{nullptr}, out_2{nullptr};
  torch::Tensor px_, py_, pz_;  // float64 axis positions, not part of the state_dict
  std::shared_ptr<const attention::SlabGroup> slab_;
};
TORCH_MODULE(IFactFormer);

}  // namespace iff::operators
