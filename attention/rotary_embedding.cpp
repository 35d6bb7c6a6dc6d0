#include "attention/rotary_embedding.hpp"

#include "io/error.hpp"

namespace iff::attention {

RotaryEmbeddingImpl::RotaryEmbeddingImpl(int64_t dim, double min_freq, double scale)
    : dim_(dim), min_freq_(min_freq), scale_(scale) {
  IFF_CHECK(dim > 0 && dim % 2 == 0, "rotary embedding width must be even and positive, got " << dim);
  // float32 arithmetic, as the reference computes the buffer
  auto expo = torch::arange(0, dim, 2, torch::kFloat32) / static_cast<float>(dim);
  inv_freq = register_buffer("inv_freq", 1.0f / torch::pow(torch::tensor(10000.0f), expo));
}

torch::Tensor RotaryEmbeddingImpl::forward(const torch::Tensor& coords) const {
  auto t = coords.to(inv_freq.device(), inv_freq.scalar_type()) * (scale_ / min_freq_);
  auto freqs = t.unsqueeze(-1) * inv_freq;  // [n, d/2]
  return torch::cat({freqs, freqs}, -1);
}

torch::Tensor rotate_half(const torch::Tensor& x) {
  auto halves = x.chunk(2, -1);
  return torch::cat({-halves[1], halves[0]}, -1);
}

torch::Tensor apply_rotary(const torch::Tensor& q, const torch::Tensor& theta) {
  return apply_rotary(q, theta.cos(), theta.sin());
}

torch::Tensor apply_rotary(const torch::Tensor& q, const torch::Tensor& cos_theta, const torch::Tensor& sin_theta) {
  return q * cos_theta + rotate_half(q) * sin_theta;
}

}  // namespace iff::attention
