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
  auto theta = pos_emb->forward(coords).to(a.scalar_type());  // [n, d]
  auto q = to_q->forward(a).view({b, n, heads_, dim_head_}).transpose(1, 2);  // [b, h, n, d]
  auto k = to_k->forward(a).view({b, n, heads_, dim_head_}).transpose(1, 2);
  q = apply_rotary(q, theta);
  k = apply_rotary(k, theta);
  auto K = torch::matmul(q, k.transpose(-1, -2));
  return scaling_ == 1.0 ? K : K * scaling_;
}

}  // namespace iff::attention
