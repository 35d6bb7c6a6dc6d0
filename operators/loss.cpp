#include "operators/loss.hpp"

#include "analysis/relative_l2.hpp"

namespace iff::operators {

namespace {

/// The arithmetic of analysis::relative_l2_from_sums on tensors (element-wise).
struct TensorOps {
  static torch::Tensor sqrt(const torch::Tensor& x) { return torch::sqrt(x); }
  static torch::Tensor zero_where_exact(const torch::Tensor& err_sq, const torch::Tensor& e) {
    return torch::where(err_sq == 0, torch::zeros_like(e), e);
  }
};

}  // namespace

torch::Tensor relative_l2_sum(const torch::Tensor& pred, const torch::Tensor& target) {
  const auto b = pred.size(0);
  auto err_sq = (pred - target).reshape({b, -1}).square().sum(1);
  auto ref_sq = target.reshape({b, -1}).square().sum(1);
  return analysis::relative_l2_from_sums<torch::Tensor, TensorOps>(err_sq, ref_sq).sum();
}

}  // namespace iff::operators
