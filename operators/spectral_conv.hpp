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
#pragma once

#include <torch/torch.h>

namespace iff::operators {

class SpectralConv3dImpl : public torch::nn::Module {
 public:
  SpectralConv3dImpl(int64_t in_channels, int64_t out_channels, int64_t m1, int64_t m2, int64_t m3);
  torch::Tensor forward(const torch::Tensor& u);
  torch::Tensor weights1, weights2, weights3, weights4;
  int64_t m1, m2, m3;
};
TORCH_MODULE(SpectralConv3d);

}  // namespace iff::operators
