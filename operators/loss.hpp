// The training loss: the relative L2 error of analysis/relative_l2.hpp per sample, summed
// over the batch, on libtorch tensors (differentiable).
#pragma once

#include <torch/torch.h>

namespace iff::operators {

/// Σ_s e(pred_s, target_s) over the samples s (first axis), e over all values of a sample:
/// e = ||pred_s − target_s|| / ||target_s|| (0 for pred_s = target_s, +inf for a zero target).
torch::Tensor relative_l2_sum(const torch::Tensor& pred, const torch::Tensor& target);

}  // namespace iff::operators
