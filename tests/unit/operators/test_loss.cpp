// The training loss is the relative L2 error of analysis/relative_l2.hpp: the same value
// per sample as the one compare and rollout report (zero-reference convention included),
// and its gradient is the derivative of that value.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "analysis/relative_l2.hpp"
#include "operators/loss.hpp"
#include "tests/support/torch_test_helpers.hpp"

namespace ops = iff::operators;

TEST(TrainingLoss, IsTheRelativeL2OfAnalysisPerSample) {
  torch::manual_seed(3);
  auto pred = torch::randn({3, 4, 5, 2, 3}, torch::kFloat64), target = torch::randn({3, 4, 5, 2, 3}, torch::kFloat64);
  double want = 0;
  for (int s = 0; s < 3; ++s) {
    auto a = pred[s].contiguous(), b = target[s].contiguous();
    want += iff::analysis::relative_l2(a.data_ptr<double>(), b.data_ptr<double>(), a.numel());
  }
  EXPECT_NEAR(ops::relative_l2_sum(pred, target).item<double>(), want, 1e-14 * want);
  // an exact prediction adds 0, a zero target with an error adds +inf
  auto zero = torch::zeros({1, 4, 5, 2, 3}, torch::kFloat64);
  EXPECT_EQ(ops::relative_l2_sum(zero, zero).item<double>(), 0.0);
  EXPECT_EQ(ops::relative_l2_sum(pred.narrow(0, 0, 1), zero).item<double>(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(ops::relative_l2_sum(target, target).item<double>(), 0.0);
}

TEST(TrainingLoss, GradientMatchesFiniteDifferences) {
  torch::manual_seed(4);
  auto pred = torch::randn({2, 3, 3, 2, 3}, torch::kFloat64).requires_grad_(true);
  auto target = torch::randn({2, 3, 3, 2, 3}, torch::kFloat64);
  iff::test::expect_gradients([&] { return ops::relative_l2_sum(pred, target).reshape({1}); }, {pred}, 1e-6);
}
