#include "operators/fno.hpp"

#include "attention/mixed_precision.hpp"
#include "attention/point_linear.hpp"
#include "io/error.hpp"

namespace iff::operators {

namespace nn = torch::nn;

FnoImpl::FnoImpl(const FnoOptions& o) : o_(o) {
  IFF_REQUIRE(o.width > 0 && o.n_layer > 0 && o.in_time_window > 0 && o.pad_y >= 0,
              "fno: width, n_layer, in_time_window must be positive and pad_y >= 0");
  fc0 = register_module("fc0", nn::Linear(o.channels * o.in_time_window + 3, o.width));
  const int64_t n_distinct = o.implicit ? 1 : o.n_layer;
  for (int64_t l = 0; l < n_distinct; ++l) {
    const std::string suffix = o.implicit ? "" : std::to_string(l);
    convs.push_back(register_module("conv" + suffix, SpectralConv3d(o.width, o.width, o.modes_x, o.modes_y, o.modes_z)));
    ws.push_back(register_module("w" + suffix, nn::Conv1d(o.width, o.width, 1)));
  }
  fc1 = register_module("fc1", nn::Linear(o.width, o.projection));
  fc2 = register_module("fc2", nn::Linear(o.projection, o.channels));
}

namespace {

/// fc->forward(act(x)); in bf16-mixed arithmetic through point_linear's bf16 products (the
/// float32 result of torch::linear otherwise, unchanged).
torch::Tensor lift(nn::Linear fc, const torch::Tensor& x, attention::PointInput act) {
  if (attention::arithmetic() == Arithmetic::bf16_mixed) return attention::point_linear(x, fc->weight, fc->bias, act);
  return fc->forward(act == attention::PointInput::gelu ? torch::gelu(x) : x);
}

}  // namespace

void FnoImpl::set_slab(std::shared_ptr<const attention::SlabGroup> slab) {
  for (auto& conv : convs) conv->set_slab(slab);
  slab_ = std::move(slab);
}

torch::Tensor FnoImpl::forward(const torch::Tensor& input) {
  auto u = input.dim() == 5 ? input.unsqueeze(1) : input;
  IFF_CHECK_AS(InputError, u.dim() == 6 && u.size(1) == o_.in_time_window && u.size(5) == o_.channels,
               "FNO expects input [b, " << o_.in_time_window << ", nx, ny, nz, " << o_.channels << "], got "
                                        << input.sizes());
  const int64_t b = u.size(0), T = u.size(1), nx = u.size(2), ny = u.size(3), nz = u.size(4);
  IFF_CHECK_AS(InputError, !slab_ || nx == slab_->nx_local(),
               "FNO split over x-slabs given " << nx << " x planes where this rank holds " << slab_->nx_local() << " of "
                                               << slab_->nx());
  const auto opts = u.options();
  auto axis = [&](int64_t n) { return n > 1 ? torch::linspace(0.0, 1.0, n, opts) : torch::zeros({1}, opts); };
  auto x_axis = slab_ ? axis(slab_->nx()).narrow(0, slab_->x0(), nx) : axis(nx);
  auto grid = torch::meshgrid({x_axis, axis(ny), axis(nz)}, "ij");
  auto coords = torch::stack({grid[0], grid[1], grid[2]}, -1).unsqueeze(0).expand({b, nx, ny, nz, 3});
  auto x = torch::cat({u.permute({0, 2, 3, 4, 1, 5}).reshape({b, nx, ny, nz, T * o_.channels}), coords}, -1);
  x = lift(fc0, x, attention::PointInput::as_is).permute({0, 4, 1, 2, 3});  // [b, width, nx, ny, nz]
  if (o_.pad_y > 0) x = torch::constant_pad_nd(x, {0, 0, 0, o_.pad_y});
  const int64_t nyp = ny + o_.pad_y;
  auto layer = [&](int64_t l) {
    auto& conv = convs[o_.implicit ? 0 : l];
    auto& w = ws[o_.implicit ? 0 : l];
    auto y = conv->forward(x) + w->forward(x.reshape({b, o_.width, -1})).view({b, o_.width, nx, nyp, nz});
    return l + 1 < o_.n_layer ? torch::gelu(y) : y;
  };
  for (int64_t l = 0; l < o_.n_layer; ++l)
    x = o_.implicit ? x + layer(l) / static_cast<double>(o_.n_layer) : layer(l);
  if (o_.pad_y > 0) x = x.narrow(3, 0, ny);
  auto out = lift(fc2, lift(fc1, x.permute({0, 2, 3, 4, 1}), attention::PointInput::as_is), attention::PointInput::gelu);
  if (o_.target == Target::increment) out = out + u.select(1, T - 1);
  return out;
}

}  // namespace iff::operators
