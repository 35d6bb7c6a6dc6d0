#include "operators/spectral_conv.hpp"

#include <cmath>
#include <vector>

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

void SpectralConv3dImpl::require_modes_fit(int64_t nx, int64_t ny, int64_t nz) const {
  IFF_CHECK_AS(InputError, 2 * m1 <= nx && 2 * m2 <= ny && m3 <= nz / 2 + 1,
               "spectral convolution modes (" << m1 << ", " << m2 << ", " << m3 << ") do not fit the grid " << nx
                                              << "x" << ny << "x" << nz);
}

torch::Tensor SpectralConv3dImpl::multiply(const torch::Tensor& a, const torch::Tensor& w) const {
  return torch::einsum("bixyz,ioxyz->boxyz", {a, torch::view_as_complex(w)});
}

torch::Tensor SpectralConv3dImpl::forward(const torch::Tensor& u) {
  if (slab_) return forward_split(u);
  const int64_t b = u.size(0), nx = u.size(2), ny = u.size(3), nz = u.size(4);
  require_modes_fit(nx, ny, nz);
  const int64_t out = weights1.size(1);
  auto uh = torch::fft::rfftn(u, c10::nullopt, std::vector<int64_t>{-3, -2, -1});
  auto vh = torch::zeros({b, out, nx, ny, nz / 2 + 1}, uh.options());
  using torch::indexing::Slice;
  const Slice kz(0, m3);
  const Slice xp(0, m1), xn(nx - m1, nx), yp(0, m2), yn(ny - m2, ny);
  vh.index_put_({Slice(), Slice(), xp, yp, kz}, multiply(uh.index({Slice(), Slice(), xp, yp, kz}), weights1));
  vh.index_put_({Slice(), Slice(), xn, yp, kz}, multiply(uh.index({Slice(), Slice(), xn, yp, kz}), weights2));
  vh.index_put_({Slice(), Slice(), xp, yn, kz}, multiply(uh.index({Slice(), Slice(), xp, yn, kz}), weights3));
  vh.index_put_({Slice(), Slice(), xn, yn, kz}, multiply(uh.index({Slice(), Slice(), xn, yn, kz}), weights4));
  return torch::fft::irfftn(vh, std::vector<int64_t>{nx, ny, nz}, std::vector<int64_t>{-3, -2, -1});
}

namespace {

/// e^{sign·2πi k x/nx} for the kept kx (0 .. m1−1, nx−m1 .. nx−1) and the planes x of
/// [x0, x0 + count), [2·m1, count]; the phase k·x is reduced mod nx in integers first, so
/// that its angle is exact to the last bit whatever the grid.
torch::Tensor x_modes(int64_t nx, int64_t m1, int64_t x0, int64_t count, double sign, torch::ScalarType complex_type,
                      torch::Device device) {
  std::vector<double> re, im;
  re.reserve(2 * m1 * count), im.reserve(2 * m1 * count);
  for (int64_t j = 0; j < 2 * m1; ++j) {
    const int64_t k = j < m1 ? j : nx - 2 * m1 + j;
    for (int64_t x = x0; x < x0 + count; ++x) {
      const double angle = sign * 2.0 * M_PI * static_cast<double>((k * x) % nx) / static_cast<double>(nx);
      re.push_back(std::cos(angle)), im.push_back(std::sin(angle));
    }
  }
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto e = torch::complex(torch::tensor(re, opts), torch::tensor(im, opts)).view({2 * m1, count});
  return e.to(device, complex_type);
}

}  // namespace

torch::Tensor SpectralConv3dImpl::forward_split(const torch::Tensor& u) const {
  const auto& g = *slab_;
  const int64_t b = u.size(0), nxl = u.size(2), ny = u.size(3), nz = u.size(4), nx = g.nx();
  IFF_CHECK_AS(InputError, nxl == g.nx_local(),
               "spectral convolution split over x-slabs given " << nxl << " x planes where this rank holds "
                                                                << g.nx_local() << " of " << nx);
  require_modes_fit(nx, ny, nz);
  const int64_t out = weights1.size(1);
  // z and y transforms of the slab's planes, kept (ky, kz) only: [b, in, nx_r, 2·m2, m3]
  auto uh = torch::fft::fft(torch::fft::rfft(u, c10::nullopt, -1).narrow(-1, 0, m3), c10::nullopt, -2);
  uh = torch::cat({uh.narrow(3, 0, m2), uh.narrow(3, ny - m2, m2)}, 3);
  // x transform of the kept kx, its sum over x split over the ranks: [b, in, 2·m1, 2·m2, m3]
  const auto forward_x = x_modes(nx, m1, g.x0(), nxl, -1.0, uh.scalar_type(), u.device());
  auto part = torch::einsum("kx,bixyz->bikyz", {forward_x, uh}).contiguous();
  auto full = torch::view_as_complex(attention::slab_sum(torch::view_as_real(part), g));
  // the four corners' weights: kx ≥ 0 / < 0 along dim 2, ky ≥ 0 / < 0 along dim 3
  auto corner = [&](bool kx_negative, bool ky_negative) {
    return full.narrow(2, kx_negative ? m1 : 0, m1).narrow(3, ky_negative ? m2 : 0, m2);
  };
  auto vh = torch::cat({torch::cat({multiply(corner(false, false), weights1), multiply(corner(true, false), weights2)}, 2),
                        torch::cat({multiply(corner(false, true), weights3), multiply(corner(true, true), weights4)}, 2)},
                       3);
  // back to this rank's planes, then y and z: the unkept modes are zero
  const auto inverse_x = x_modes(nx, m1, g.x0(), nxl, 1.0, uh.scalar_type(), u.device()) / static_cast<double>(nx);
  auto v = torch::einsum("kx,bokyz->boxyz", {inverse_x, vh});  // [b, out, nx_r, 2·m2, m3]
  auto gap = torch::zeros({b, out, nxl, ny - 2 * m2, m3}, v.options());
  v = torch::cat({v.narrow(3, 0, m2), gap, v.narrow(3, m2, m2)}, 3);
  v = torch::cat({v, torch::zeros({b, out, nxl, ny, nz / 2 + 1 - m3}, v.options())}, 4);
  return torch::fft::irfft(torch::fft::ifft(v, c10::nullopt, -2), nz, -1);
}

}  // namespace iff::operators
