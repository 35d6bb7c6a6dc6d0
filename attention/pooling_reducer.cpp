#include "attention/pooling_reducer.hpp"

namespace iff::attention {

namespace nn = torch::nn;

torch::Tensor geglu(const torch::Tensor& x) {
  auto h = x.chunk(2, -1);
  return torch::gelu(h[0]) * h[1];
}

GeGluMlpImpl::GeGluMlpImpl(int64_t d0, int64_t d1, int64_t d2) {
  fc1 = nn::Linear(d0, 2 * d1);
  fc2 = nn::Linear(d1, d2);
  net = register_module("net", nn::Sequential(fc1, GeGLU(), nn::Dropout(0.0), fc2));
}

torch::Tensor GeGluMlpImpl::forward(const torch::Tensor& x) {
  return fc2->forward(geglu(fc1->forward(x)));  // Dropout(0) is the identity
}

PreNormMlpImpl::PreNormMlpImpl(int64_t dim, int64_t hidden, int64_t out) {
  norm = register_module("norm", nn::LayerNorm(nn::LayerNormOptions({dim})));
  fn = register_module("fn", GeGluMlp(hidden, hidden, out));
}

PoolingReducerImpl::PoolingReducerImpl(int64_t in_dim, int64_t hidden_dim, int64_t out_dim) {
  to_in = register_module("to_in", nn::Linear(nn::LinearOptions(in_dim, hidden_dim).bias(false)));
  out_ffn = register_module("out_ffn", PreNormMlp(in_dim, hidden_dim, out_dim));
}

torch::Tensor PoolingReducerImpl::forward(const torch::Tensor& pooled) {
  return out_ffn->forward(to_in->forward(pooled));
}

}  // namespace iff::attention
