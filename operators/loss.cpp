#include "operators/loss.hpp"

#include <utility>

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

/// ‖pred_s − target_s‖² and ‖target_s‖² per sample s.
std::pair<torch::Tensor, torch::Tensor> squared_norms(const torch::Tensor& pred, const torch::Tensor& target) {
  const auto b = pred.size(0);
  return {(pred - target).reshape({b, -1}).square().sum(1), target.reshape({b, -1}).square().sum(1)};
}

}  // namespace

torch::Tensor relative_l2_sum(const torch::Tensor& pred, const torch::Tensor& target) {
  const auto [err_sq, ref_sq] = squared_norms(pred, target);
  return analysis::relative_l2_from_sums<torch::Tensor, TensorOps>(err_sq, ref_sq).sum();
}

torch::Tensor relative_l2_sum(const torch::Tensor& pred, const torch::Tensor& target, const attention::SlabGroup& slab) {
  const auto [err_sq, ref_sq] = squared_norms(pred, target);
  return analysis::relative_l2_from_sums<torch::Tensor, TensorOps>(attention::slab_sum(err_sq, slab),
                                                                   attention::slab_sum(ref_sq, slab))
      .sum();
}

}  // namespace iff::operators
