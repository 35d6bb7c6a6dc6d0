// The training loss: the relative L2 error of analysis/relative_l2.hpp per sample, summed
// over the batch, on libtorch tensors (differentiable).
#pragma once

#include <torch/torch.h>

#include "attention/slab.hpp"

namespace iff::operators {

/// Σ_s e(pred_s, target_s) over the samples s (first axis), e over all values of a sample:
/// e = ||pred_s − target_s|| / ||target_s|| (0 for pred_s = target_s, +inf for a zero target).
torch::Tensor relative_l2_sum(const torch::Tensor& pred, const torch::Tensor& target);
/// The same for samples split in x-slabs over `slab` (pred and target this rank's planes):
/// the two squared norms of each sample summed over the group (attention::slab_sum), so
/// that every rank of the group gets the whole samples' loss.
torch::Tensor relative_l2_sum(const torch::Tensor& pred, const torch::Tensor& target, const attention::SlabGroup& slab);

}  // namespace iff::operators
