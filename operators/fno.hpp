// Fourier neural operators over a channel-flow snapshot (Li et al. 2021, ICLR, FNO3d with
// separate layers; IFNO: one layer shared over n_layer implicit iterations, You et al. 2022,
// "Learning deep implicit Fourier neural operators", JCP).
//
// Layout: input [b, nx, ny, nz, 3] (T_in 1) or [b, T_in, nx, ny, nz, 3], output
// [b, nx, ny, nz, 3], normalised velocity. Per point the lifting sees the T_in snapshots and
// the coordinates normalised to [0, 1] per axis (3·T_in + 3 channels):
//   v_0 = fc0([u, x̃, ỹ, z̃])                                   Linear → width
//   (y zero-padded by pad_y points on each wall side: the walls are not periodic)
//   FNO : v_{l+1} = σ_l(K_l v_l + W_l v_l),        l = 0 .. n_layer−1
//   IFNO: v_{l+1} = v_l + σ_l(K v_l + W v_l)/n_layer (shared K = "conv", W = "w")
//   out = fc2(GELU(fc1(v)))                                   width → 128 → 3
// σ_l = GELU except on the last layer (identity); K = SpectralConv3d, W = 1×1 Conv1d.
// target `increment`: out is added to the last input snapshot (residual form).
// In bf16-mixed arithmetic (operators/arithmetic.hpp) fc0, fc1 and fc2 take bf16 operands
// (attention/point_linear.hpp); the spectral convolutions (FFTs and complex weights) and the
// 1×1 convolutions W stay in float32.
// Split over x-slabs (set_slab) the spectral convolutions sum their kept x modes over the
// group (operators/spectral_conv.hpp); every other layer is pointwise and runs on the slab
// (with the slab's coordinates).
// Defaults: modes 8, 8, 8, width 20, n_layer 4, T_in 1, pad_y 0:
//   FNO3d 6,558,495 parameters; IFNO3d 1,642,035.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "operators/model_spec.hpp"
#include "operators/spectral_conv.hpp"

namespace iff::operators {

class FnoImpl : public torch::nn::Module {
 public:
  explicit FnoImpl(const FnoOptions& o);
  torch::Tensor forward(const torch::Tensor& u);
  const FnoOptions& options() const { return o_; }
  /// Splits every sample over the x-slabs of `slab` (attention/slab.hpp; null: whole fields):
  /// forward then takes and returns this rank's planes [b, (T,) nx_local, ny, nz, c], and
  /// its parameter gradients summed over the group are the unsplit model's.
  void set_slab(std::shared_ptr<const attention::SlabGroup> slab);

  torch::nn::Linear fc0{nullptr}, fc1{nullptr}, fc2{nullptr};
  std::vector<SpectralConv3d> convs;  ///< conv0.. (FNO) or conv (IFNO)
  std::vector<torch::nn::Conv1d> ws;  ///< w0.. (FNO) or w (IFNO)

 private:
  FnoOptions o_;
  std::shared_ptr<const attention::SlabGroup> slab_;
};
TORCH_MODULE(Fno);

}  // namespace iff::operators
