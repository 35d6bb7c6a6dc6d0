// Spectral convolution over three periodic axes (Li et al. 2021, "Fourier neural operator
// for parametric PDEs", ICLR; SpectralConv3d of the reference FNO code).
//
//   û = rfftn(u) over (x, y, z)                        (rfft in z: kz = 0 .. nz/2)
//   v̂_o(k) = Σ_i R_{i,o}(k) û_i(k)   for |kx| < m1, |ky| < m2, kz < m3, else 0
//   v = irfftn(v̂, s = (nx, ny, nz))
// The kept modes are the four corners of the (kx, ky) plane — all sign combinations
// ("weights1" kx ≥ 0, ky ≥ 0; "weights2" kx < 0, ky ≥ 0; "weights3" kx ≥ 0, ky < 0;
// "weights4" kx < 0, ky < 0) — each [in, out, m1, m2, m3, 2] holding (re, im), since
// libtorch's optimizers treat real tensors. Needs 2·m1 ≤ nx, 2·m2 ≤ ny, m3 ≤ nz/2 + 1.
// Layout: u [b, in, nx, ny, nz] → [b, out, nx, ny, nz].
//
// Split over x-slabs (set_slab; attention/slab.hpp) each rank holds the planes
// [x0, x0 + nx_r). The y and z transforms are local; the x transform of the kept kx only is
// a DFT whose sum over x is split over the ranks:
//   û_i(kx, ky, kz) = Σ_r Σ_{x ∈ slab r} e^{−2πi kx x/nx} ũ_i(x, ky, kz)   (one slab_sum)
// after which every rank holds the kept spectrum (2·m1·2·m2·m3 values per channel and
// sample) and multiplies it by R; the inverse of the kept kx is evaluated at the slab's
// planes alone, v(x) = (1/nx) Σ_kx e^{+2πi kx x/nx} v̂(kx), x ∈ slab r, then y and z are
// inverted locally. Compared with slab transposes (an all-to-all of the whole field, twice
// per convolution) it moves only the truncated spectrum, once; the DFT costs
// 2·m1·nx_r complex products per retained (ky, kz) mode and channel.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "attention/slab.hpp"

namespace iff::operators {

class SpectralConv3dImpl : public torch::nn::Module {
 public:
  SpectralConv3dImpl(int64_t in_channels, int64_t out_channels, int64_t m1, int64_t m2, int64_t m3);
  torch::Tensor forward(const torch::Tensor& u);
  /// Splits u over the x-slabs of `slab` (null: whole fields): forward then takes and returns
  /// this rank's planes [b, c, nx_local, ny, nz], and the weights' gradients summed over the
  /// group are the unsplit convolution's.
  void set_slab(std::shared_ptr<const attention::SlabGroup> slab) { slab_ = std::move(slab); }
  torch::Tensor weights1, weights2, weights3, weights4;
  int64_t m1, m2, m3;

 private:
  /// InputError unless the kept modes fit the whole field's grid nx × ny × nz.
  void require_modes_fit(int64_t nx, int64_t ny, int64_t nz) const;
  torch::Tensor multiply(const torch::Tensor& a, const torch::Tensor& w) const;
  torch::Tensor forward_split(const torch::Tensor& u) const;
  std::shared_ptr<const attention::SlabGroup> slab_;
};
TORCH_MODULE(SpectralConv3d);

}  // namespace iff::operators
