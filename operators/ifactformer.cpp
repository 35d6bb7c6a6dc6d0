#include "operators/ifactformer.hpp"

#include <cmath>

#include "attention/point_linear.hpp"
#include "io/error.hpp"

namespace iff::operators {

namespace nn = torch::nn;
using attention::FactorizedBlock;
using attention::FactorizedBlockImpl;

GaussianFourierFeaturesImpl::GaussianFourierFeaturesImpl(int64_t in_channels, int64_t mapping_size, double scale) {
  B = register_parameter("_B", torch::randn({in_channels, mapping_size}) * scale, /*requires_grad=*/false);
}

torch::Tensor GaussianFourierFeaturesImpl::forward(const torch::Tensor& p) {
  const bool constant = !p.requires_grad() && !B.requires_grad();
  if (constant && kept_.features.defined() && kept_.B.is_same(B) && kept_.b_version == B._version() &&
      kept_.p.scalar_type() == p.scalar_type() && kept_.p.device() == p.device() && kept_.p.sizes() == p.sizes() &&
      torch::equal(kept_.p, p))
    return kept_.features;
  auto a = torch::matmul(p, B) * (2.0 * M_PI);
  auto features = torch::cat({torch::sin(a), torch::cos(a)}, -1);
  if (constant) kept_ = {p.clone(), B, features, B._version()};
  return features;
}

namespace {

/// Activation checkpointing of one block application: the forward keeps the input and the
/// fused core's small result (AxialCoreCache, O(b·n·dim)); the backward recomputes the rest
/// of the block with autograd and differentiates it.
struct BlockCheckpoint : torch::autograd::Function<BlockCheckpoint> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& u,
                               torch::TensorList params, int64_t block_address, const torch::Tensor& px,
                               const torch::Tensor& py, const torch::Tensor& pz) {
    auto* block = reinterpret_cast<FactorizedBlockImpl*>(block_address);
    ctx->saved_data["block"] = block_address;
    ctx->saved_data["n_params"] = static_cast<int64_t>(params.size());
    ctx->save_for_backward({u, px, py, pz});
    attention::AxialCoreCache cache;
    auto y = block->forward(u, px, py, pz, &cache);
    if (cache.z.defined()) {
      ctx->saved_data["core_z"] = cache.z;
      ctx->saved_data["core_mean"] = cache.mean;
      ctx->saved_data["core_rstd"] = cache.rstd;
    }
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_out) {
    auto* block = reinterpret_cast<FactorizedBlockImpl*>(ctx->saved_data["block"].toInt());
    const auto n_params = ctx->saved_data["n_params"].toInt();
    auto saved = ctx->get_saved_variables();
    auto u = saved[0].detach().requires_grad_(true);
    auto params = block->parameters();
    IFF_CHECK(static_cast<int64_t>(params.size()) == n_params, "checkpointed block changed its parameters");
    attention::AxialCoreCache cache;  // the core's forward is not repeated
    if (ctx->saved_data.count("core_z"))
      cache = {ctx->saved_data["core_z"].toTensor(), ctx->saved_data["core_mean"].toTensor(),
               ctx->saved_data["core_rstd"].toTensor()};
    torch::Tensor y;
    {
      torch::AutoGradMode enable(true);
      y = block->forward(u, saved[1], saved[2], saved[3], &cache);
    }
    torch::autograd::variable_list inputs{u};
    inputs.insert(inputs.end(), params.begin(), params.end());
    auto grads = torch::autograd::grad({y}, inputs, {grad_out[0]}, /*retain_graph=*/false,
                                       /*create_graph=*/false, /*allow_unused=*/true);
    torch::autograd::variable_list result(grads.begin(), grads.end());
    for (int i = 0; i < 4; ++i) result.emplace_back();  // block_address, px, py, pz
    return result;
  }
};

}  // namespace

IFactFormerImpl::IFactFormerImpl(const IFactFormerOptions& o, const AxisCoordinates& positions) : o_(o) {
  IFF_REQUIRE(o.dim % 2 == 0 && (o.dim / 2) % o.in_dim == 0,
              "model.dim/2 must be a multiple of in_dim (grouped lifting), got dim " << o.dim << ", in_dim " << o.in_dim);
  IFF_REQUIRE(o.n_layer >= 1 && o.depth >= 1 && o.in_time_window >= 1 && o.out_dim >= 1,
              "model.n_layer, depth, in_time_window and out_dim must be >= 1");
  const int64_t half = o.dim / 2;
  in_group = nn::Conv2d(nn::Conv2dOptions(o.in_dim, half, 1).groups(o.in_dim));
  in_window = nn::Conv2d(nn::Conv2dOptions(half, o.dim, {o.in_time_window, 1}).bias(false));
  to_in = register_module("to_in", nn::Sequential(in_group, nn::GELU(), in_window));

  encoder_ = std::make_shared<nn::Module>("FactorizedTransformer");
  nn::ModuleList layers;
  attention::FactorizedBlockOptions bo;
  bo.dim = o.dim;
  bo.dim_head = o.dim_head;
  bo.heads = o.heads;
  bo.kernel_multiplier = o.kernel_multiplier;
  bo.factorization = o.factorization;
  for (int64_t d = 0; d < o.depth; ++d) {
    fourier.push_back(GaussianFourierFeatures(3, half, o.fourier_scale));
    fourier_linear.push_back(nn::Linear(o.dim, o.dim));
    blocks.push_back(FactorizedBlock(bo));
    nn::ModuleList layer;
    layer->push_back(nn::Sequential(fourier.back(), fourier_linear.back()));
    layer->push_back(blocks.back());
    layers->push_back(layer);
  }
  encoder_->register_module("layers", layers);
  register_module("encoder", encoder_);

  out_1 = nn::Conv1d(nn::Conv1dOptions(o.dim, half, 1).bias(false));
  out_2 = nn::Conv1d(nn::Conv1dOptions(half, o.out_dim, 1));
  simple_to_out = register_module("simple_to_out", nn::Sequential(nn::Identity(), out_1, nn::GELU(), out_2));
  set_positions(positions);
}

void IFactFormerImpl::set_positions(const AxisCoordinates& p) {
  IFF_REQUIRE(!p.x.empty() && !p.y.empty() && !p.z.empty(), "model positions must not be empty");
  IFF_REQUIRE(!slab_ || slab_->nx() == static_cast<int64_t>(p.x.size()),
              "model split over " << slab_->nx() << " x planes given " << p.x.size() << " x positions");
  auto t = [](const std::vector<double>& v) { return torch::tensor(v, torch::kFloat64); };
  px_ = t(p.x);
  py_ = t(p.y);
  pz_ = t(p.z);
}

void IFactFormerImpl::set_slab(std::shared_ptr<const attention::SlabGroup> slab) {
  IFF_REQUIRE(!slab || slab->nx() == px_.size(0),
              "a slab group over " << slab->nx() << " x planes for a model on " << px_.size(0));
  for (auto& block : blocks) block->set_slab(slab);
  slab_ = std::move(slab);
}

torch::Tensor IFactFormerImpl::forward(const torch::Tensor& input) {
  auto u = input.dim() == 5 ? input.unsqueeze(1) : input;
  const int64_t nx = slab_ ? slab_->nx_local() : px_.size(0), ny = py_.size(0), nz = pz_.size(0);
  IFF_CHECK_AS(InputError,
               u.dim() == 6 && u.size(1) == o_.in_time_window && u.size(2) == nx && u.size(3) == ny &&
                   u.size(4) == nz && u.size(5) == o_.in_dim,
               "IFactFormer expects input [b, " << o_.in_time_window << ", " << nx << ", " << ny << ", " << nz
                                                << ", " << o_.in_dim << "], got " << input.sizes());
  const int64_t b = u.size(0), T = o_.in_time_window, half = o_.dim / 2, n = nx * ny * nz;
  const auto opts = torch::TensorOptions().dtype(u.scalar_type()).device(u.device());
  auto px = px_.to(opts), py = py_.to(opts), pz = pz_.to(opts);

  // to_in: grouped 1x1 conv (output channel o reads input channel o / (half/in_dim)), GELU,
  // then the (T, 1) convolution that contracts the time window
  auto source = torch::div(torch::arange(half, torch::TensorOptions().dtype(torch::kLong).device(u.device())),
                           half / o_.in_dim, "floor");
  auto g = u.index_select(5, source) * in_group->weight.view({half}) + in_group->bias;  // before the GELU
  g = g.permute({0, 2, 3, 4, 1, 5}).reshape({b, n, T * half});                         // (t, c) per point
  auto w_in = in_window->weight.squeeze(-1).permute({0, 2, 1}).reshape({o_.dim, T * half});
  auto h = attention::point_linear(g, w_in, {}, attention::PointInput::gelu).view({b, nx, ny, nz, o_.dim});

  auto grid = torch::meshgrid({slab_ ? px.narrow(0, slab_->x0(), nx) : px, py, pz}, "ij");
  auto p = torch::stack({grid[0], grid[1], grid[2]}, -1).view({n, 3});
  for (int64_t d = 0; d < o_.depth; ++d) {
    const auto& lin = fourier_linear[d];
    h = h + attention::point_linear(fourier[d]->forward(p), lin->weight, lin->bias).view({1, nx, ny, nz, o_.dim});
    auto& block = blocks[d];
    const bool recompute = o_.checkpoint_activations && is_training() && torch::GradMode::is_enabled();
    std::vector<torch::Tensor> params;
    if (recompute) params = block->parameters();
    for (int64_t i = 0; i < o_.n_layer; ++i) {
      auto r = recompute ? BlockCheckpoint::apply(h, torch::TensorList(params),
                                                  reinterpret_cast<int64_t>(block.get()), px, py, pz)
                         : block->forward(h, px, py, pz);
      // without autograd h is not saved by anyone and can be updated in place
      if (torch::GradMode::is_enabled())
        h = h + r / static_cast<double>(o_.n_layer);
      else
        h.add_(r.div_(static_cast<double>(o_.n_layer)));
    }
  }
  auto y = attention::point_linear(h, out_1->weight.squeeze(-1));
  return attention::point_linear(y, out_2->weight.squeeze(-1), out_2->bias, attention::PointInput::gelu);
}

}  // namespace iff::operators
