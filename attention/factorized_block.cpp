#include "attention/factorized_block.hpp"

#include "attention/point_linear.hpp"
#include "io/error.hpp"

namespace iff::attention {

namespace nn = torch::nn;

torch::Tensor instance_norm_channels_last(const torch::Tensor& x, double eps) {
  auto [var, mean] = torch::var_mean(x, {1}, /*unbiased=*/false, /*keepdim=*/true);
  return (x - mean) * torch::rsqrt(var + eps);
}

torch::Tensor instance_norm_channels_last(const torch::Tensor& x, double eps, const SlabGroup& slab,
                                          int64_t n_total) {
  const double n = static_cast<double>(n_total);
  auto mean = slab_sum(x.sum(1, /*keepdim=*/true), slab) / n;
  auto c = x - mean;
  auto var = slab_sum(c.square().sum(1, /*keepdim=*/true), slab) / n;
  return c * torch::rsqrt(var + eps);
}

FactorizedBlockImpl::FactorizedBlockImpl(const FactorizedBlockOptions& o) : o_(o) {
  IFF_CHECK(o.dim > 0 && o.dim_head > 0 && o.heads > 0 && o.kernel_multiplier > 0,
            "factorized block sizes must be positive");
  const int64_t hd = o.heads * o.dim_head;
  in_norm = register_module("in_norm", nn::LayerNorm(nn::LayerNormOptions({o.dim})));
  to_v = register_module("to_v", nn::Linear(nn::LinearOptions(o.dim, hd).bias(false)));
  to_in = register_module("to_in", nn::Linear(nn::LinearOptions(o.dim, o.dim).bias(false)));
  reduce_x = PoolingReducer(o.dim, o.dim, o.dim);
  reduce_y = PoolingReducer(o.dim, o.dim, o.dim);
  reduce_z = PoolingReducer(o.dim, o.dim, o.dim);
  to_x = register_module("to_x", nn::Sequential(reduce_x));
  to_y = register_module("to_y", nn::Sequential(nn::Identity(), reduce_y));
  to_z = register_module("to_z", nn::Sequential(nn::Identity(), reduce_z));
  const int64_t dqk = o.dim_head * o.kernel_multiplier;
  low_rank_kernel_x = register_module("low_rank_kernel_x", LowRankKernel(o.dim, dqk, o.heads));
  low_rank_kernel_y = register_module("low_rank_kernel_y", LowRankKernel(o.dim, dqk, o.heads));
  low_rank_kernel_z = register_module("low_rank_kernel_z", LowRankKernel(o.dim, dqk, o.heads));
  const int64_t channels = o.factorization == Factorization::parallel ? 3 * hd : hd;
  out_proj = nn::Linear(nn::LinearOptions(channels, o.dim).bias(false));
  out_final = nn::Linear(nn::LinearOptions(o.dim, o.dim).bias(false));
  to_out = register_module("to_out", nn::Sequential(nn::Identity(), nn::Identity(), out_proj,
                                                    nn::GELU(), out_final));
}

std::array<torch::Tensor, 3> FactorizedBlockImpl::kernels(const torch::Tensor& un, const torch::Tensor& p_x,
                                                          const torch::Tensor& p_y, const torch::Tensor& p_z) {
  // un: [b, nx, ny, nz, dim]; pooled features per axis (the means over the two other axes,
  // from two passes over un instead of three strided reductions), then W_in and the reducer
  const int64_t b = un.size(0), nx = un.size(1), ny = un.size(2), nz = un.size(3), d = un.size(4);
  auto s_xy = un.sum(3);  // [b, nx, ny, dim]
  auto m_x = s_xy.sum(2) / static_cast<double>(ny * nz);
  auto s_y = s_xy.sum(1), s_z = un.reshape({b, nx * ny, nz, d}).sum(1);
  int64_t nx_all = nx;
  if (slab_) {  // x-slabs: the x features gathered, the sums over x completed over the group
    m_x = slab_gather_x(m_x, 1, *slab_);
    s_y = slab_sum(s_y, *slab_);
    s_z = slab_sum(s_z, *slab_);
    nx_all = slab_->nx();
  }
  auto m_y = s_y / static_cast<double>(nx_all * nz);
  auto m_z = s_z / static_cast<double>(nx_all * ny);
  auto a_x = reduce_x->forward(to_in->forward(m_x));
  auto a_y = reduce_y->forward(to_in->forward(m_y));
  auto a_z = reduce_z->forward(to_in->forward(m_z));
  return {low_rank_kernel_x->forward(a_x, p_x), low_rank_kernel_y->forward(a_y, p_y),
          low_rank_kernel_z->forward(a_z, p_z)};
}

torch::Tensor FactorizedBlockImpl::forward(const torch::Tensor& u, const torch::Tensor& p_x,
                                           const torch::Tensor& p_y, const torch::Tensor& p_z) {
  return forward(u, p_x, p_y, p_z, nullptr);
}

torch::Tensor FactorizedBlockImpl::forward(const torch::Tensor& u, const torch::Tensor& p_x,
                                           const torch::Tensor& p_y, const torch::Tensor& p_z,
                                           AxialCoreCache* cache) {
  IFF_CHECK(u.dim() == 5 && u.size(4) == o_.dim,
            "factorized block expects [b, nx, ny, nz, " << o_.dim << "], got " << u.sizes());
  const int64_t b = u.size(0), nx = u.size(1), ny = u.size(2), nz = u.size(3);
  const int64_t n = nx * ny * nz, h = o_.heads, dh = o_.dim_head;
  IFF_CHECK(!slab_ || nx == slab_->nx_local(),
            "factorized block split over x-slabs holds " << slab_->nx_local() << " planes here, got " << nx);
  auto un = in_norm->forward(u);
  auto K = kernels(un, p_x, p_y, p_z);
  if (o_.factorization == Factorization::parallel && axial_core_supported(un)) {
    auto k_x = slab_ ? K[0].narrow(2, slab_->x0(), nx) : K[0];  // split: this rank's rows
    auto z = parallel_axial_core(un, to_v->weight, k_x, K[1], K[2], out_proj->weight, o_.instance_norm_eps, cache,
                                 slab_.get());
    return point_linear(z, out_final->weight, {}, PointInput::gelu).view({b, nx, ny, nz, o_.dim});
  }
  // V head-major [b, h, nx, ny, nz, dh]
  auto v = to_v->forward(un).view({b, n, h, dh}).permute({0, 2, 1, 3}).contiguous();
  auto along_x = [&](const torch::Tensor& t) {  // Σ_j K_x[i, j] t[j, l, r]
    if (!slab_) return torch::matmul(K[0], t.view({b, h, nx, ny * nz * dh})).view({b, h, n, dh});
    // this rank's rows i of K_x against every plane j of t
    return slab_product_x(K[0].narrow(2, slab_->x0(), nx), t.view({b, h, nx, ny * nz * dh}), *slab_)
        .view({b, h, n, dh});
  };
  auto along_y = [&](const torch::Tensor& t) {
    return torch::matmul(K[1].unsqueeze(2), t.view({b, h, nx, ny, nz * dh})).view({b, h, n, dh});
  };
  auto along_z = [&](const torch::Tensor& t) {
    return torch::matmul(K[2].unsqueeze(2), t.view({b, h, nx * ny, nz, dh})).view({b, h, n, dh});
  };
  torch::Tensor x;  // [b, n, channels] with the reference's channel order
  if (o_.factorization == Factorization::parallel) {
    auto to_points = [](const torch::Tensor& t) { return t.permute({0, 2, 1, 3}); };  // [b, n, h, dh]
    x = torch::stack({to_points(along_x(v)), to_points(along_y(v)), to_points(along_z(v))}, 3)
            .view({b, n, 3 * h * dh});
  } else {
    x = along_z(along_y(along_x(v))).permute({0, 2, 1, 3}).reshape({b, n, h * dh});
  }
  auto xn = slab_ ? instance_norm_channels_last(x, o_.instance_norm_eps, *slab_, slab_->nx() * ny * nz)
                 : instance_norm_channels_last(x, o_.instance_norm_eps);
  auto y = out_final->forward(torch::gelu(out_proj->forward(xn)));
  return y.view({b, nx, ny, nz, o_.dim});
}

}  // namespace iff::attention
