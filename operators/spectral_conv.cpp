#include "operators/spectral_conv.hpp"

#include "io/error.hpp"

namespace iff::operators {

SpectralConv3dImpl::SpectralConv3dImpl(int64_t in, int64_t out, int64_t m1_, int64_t m2_, int64_t m3_)
    : m1(m1_), m2(m2_), m3(m3_) {
  IFF_REQUIRE(in > 0 && out > 0 && m1 > 0 && m2 > 0 && m3 > 0, "spectral convolution sizes must be positive");
  const double scale = 1.0 / static_cast<double>(in * out);  // as the reference FNO
  auto make = [&](const char* name) {
    return register_parameter(name, scale * torch::rand({in, out, m1, m2, m3, 2}));
  };
  weights1 = make("weights1");
  weights2 = make("weights2");
  weights3 = make("weights3");
  weights4 = make("weights4");
}

torch::Tensor SpectralConv3dImpl::forward(const torch::Tensor& u) {
  const int64_t b = u.size(0), nx = u.size(2), ny = u.size(3), nz = u.size(4);
  IFF_CHECK_AS(InputError, 2 * m1 <= nx && 2 * m2 <= ny && m3 <= nz / 2 + 1,
               "spectral convolution modes (" << m1 << ", " << m2 << ", " << m3 << ") do not fit the grid " << nx
                                              << "x" << ny << "x" << nz);
  const int64_t out = weights1.size(1);
  auto uh = torch::fft::rfftn(u, c10::nullopt, std::vector<int64_t>{-3, -2, -1});
  auto vh = torch::zeros({b, out, nx, ny, nz / 2 + 1}, uh.options());
  using torch::indexing::Slice;
  auto mul = [](const torch::Tensor& a, const torch::Tensor& w) {
    return torch::einsum("bixyz,ioxyz->boxyz", {a, torch::view_as_complex(w)});
  };
  const Slice kz(0, m3);
  const Slice xp(0, m1), xn(nx - m1, nx), yp(0, m2), yn(ny - m2, ny);
  vh.index_put_({Slice(), Slice(), xp, yp, kz}, mul(uh.index({Slice(), Slice(), xp, yp, kz}), weights1));
  vh.index_put_({Slice(), Slice(), xn, yp, kz}, mul(uh.index({Slice(), Slice(), xn, yp, kz}), weights2));
  vh.index_put_({Slice(), Slice(), xp, yn, kz}, mul(uh.index({Slice(), Slice(), xp, yn, kz}), weights3));
  vh.index_put_({Slice(), Slice(), xn, yn, kz}, mul(uh.index({Slice(), Slice(), xn, yn, kz}), weights4));
  return torch::fft::irfftn(vh, std::vector<int64_t>{nx, ny, nz}, std::vector<int64_t>{-3, -2, -1});
}

}  // namespace iff::operators
