#include "attention/low_rank_kernel.hpp"

namespace iff::attention {

LowRankKernelImpl::LowRankKernelImpl(int64_t dim, int64_t dim_head, int64_t heads, double scaling)
    : dim_head_(dim_head), heads_(heads), scaling_(scaling) {
  namespace nn = torch::nn;
  to_q = register_module("to_q", nn::Linear(nn::LinearOptions(dim, dim_head * heads).bias(false)));
  to_k = register_module("to_k", nn::Linear(nn::LinearOptions(dim, dim_head * heads).bias(false)));
  pos_emb = register_module("pos_emb", RotaryEmbedding(dim_head));
  torch::NoGradGuard no_grad;
  nn::init::xavier_uniform_(to_q->weight, 0.02);
  nn::init::xavier_uniform_(to_k->weight, 0.02);
}

torch::Tensor LowRankKernelImpl::forward(const torch::Tensor& a, const torch::Tensor& coords) {
  const auto b = a.size(0), n = a.size(1);
  const auto& inv_freq = pos_emb->inv_freq;
  const bool hit = rotary_.coords.defined() && rotary_.coords.is_same(coords) &&
                   rotary_.coords_version == coords._version() && rotary_.inv_freq.is_same(inv_freq) &&
                   rotary_.inv_freq_version == inv_freq._version() && rotary_.cos.scalar_type() == a.scalar_type() &&
                   rotary_.cos.device() == a.device() && !coords.requires_grad();
  if (!hit) {
    torch::NoGradGuard no_grad;  // θ depends on the coordinates and a buffer only
    auto theta = pos_emb->forward(coords).to(a.options());  // [n, d]
    rotary_ = {coords, inv_freq, theta.cos(), theta.sin(), coords._version(), inv_freq._version()};
  }
  auto q = to_q->forward(a).view({b, n, heads_, dim_head_}).transpose(1, 2);  // [b, h, n, d]
  auto k = to_k->forward(a).view({b, n, heads_, dim_head_}).transpose(1, 2);
  q = apply_rotary(q, rotary_.cos, rotary_.sin);
  k = apply_rotary(k, rotary_.cos, rotary_.sin);
  auto K = torch::matmul(q, k.transpose(-1, -2));
  return scaling_ == 1.0 ? K : K * scaling_;
}

}  // namespace iff::attention
