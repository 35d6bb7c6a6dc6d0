// Pooling reducer: features of a 3-D field reduced to one axis (reference:
// libs/factorization_module.py, PoolingReducer; libs/basics.py, PreNorm/MLP/GeAct).
//
//   a = W_2 · GeGLU(W_1 · LN(mean_{other axes}(W_in u)) + b_1) + b_2
//   GeGLU([x1, x2]) = GELU(x1) ∘ x2        (halves of the last axis, exact erf GELU)
//
// Module tree (reference names): to_in (Linear dim → hidden, no bias), out_ffn.norm
// (LayerNorm dim, eps 1e-5), out_ffn.fn.net.0 (Linear hidden → 2·hidden), out_ffn.fn.net.1
// (GeGLU), out_ffn.fn.net.2 (Dropout 0), out_ffn.fn.net.3 (Linear hidden → out).
// The mean is taken before W_in: both are linear, so mean(W_in u) = W_in mean(u) exactly,
// and the full-grid product is avoided.
#pragma once

#include <torch/torch.h>

namespace iff::attention {

/// GELU(x1) ∘ x2 for the halves [x1, x2] of the last axis.
torch::Tensor geglu(const torch::Tensor& x);

class GeGLUImpl : public torch::nn::Module {
 public:
  torch::Tensor forward(const torch::Tensor& x) { return geglu(x); }
};
TORCH_MODULE(GeGLU);

/// MLP [d0, d1, d2] with a GeGLU hidden activation: child "net" = Linear d0 → 2·d1, GeGLU,
/// Dropout(0), Linear d1 → d2.
class GeGluMlpImpl : public torch::nn::Module {
 public:
  GeGluMlpImpl(int64_t d0, int64_t d1, int64_t d2);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Sequential net{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};  // net[0], net[3]
};
TORCH_MODULE(GeGluMlp);

/// fn(LayerNorm(x)): children "norm" and "fn".
class PreNormMlpImpl : public torch::nn::Module {
 public:
  PreNormMlpImpl(int64_t dim, int64_t hidden, int64_t out);
  torch::Tensor forward(const torch::Tensor& x) { return fn->forward(norm->forward(x)); }
  torch::nn::LayerNorm norm{nullptr};
  GeGluMlp fn{nullptr};
};
TORCH_MODULE(PreNormMlp);

class PoolingReducerImpl : public torch::nn::Module {
 public:
  PoolingReducerImpl(int64_t in_dim, int64_t hidden_dim, int64_t out_dim);
  /// Already pooled features m = mean_{other axes}(u): [b, n, in_dim] → [b, n, out_dim].
  torch::Tensor forward(const torch::Tensor& pooled);
  torch::nn::Linear to_in{nullptr};
  PreNormMlp out_ffn{nullptr};
};
TORCH_MODULE(PoolingReducer);

}  // namespace iff::attention
