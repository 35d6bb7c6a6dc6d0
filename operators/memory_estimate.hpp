// Peak resident memory per rank of a neural operator's training step and evaluation, estimated
// before the first step so that `train` and `rollout` refuse, in one line, a grid or batch the
// node cannot hold (io/memory.hpp) instead of being killed by the kernel's OOM killer.
//
//   bytes ≈ 200 MB (libraries, fixed buffers)
//         + P · s · (1 weights [+ 1 gradients + 2 AdamW moments + 1 all-reduce buffer])
//         + b · N · a · s                       (activations)
//         + b · N · 3 · (T + 1) · s · 2         (a batch's inputs and targets, and the next one's)
// with P parameters of s bytes, b samples on the rank, N grid points (for FNO/IFNO the grid
// padded in y) and a the activation values per point and sample the step keeps at its peak.
// a is measured (VmHWM of bench_operators at 16x17x8 and 32x33x16, or 32x33x16 and 64x33x32
// for FNO/IFNO, batch 2, float32) at the default hyper-parameters and scaled with the widths:
//   IFactFormer: a ∝ (dim + c), c = 3·heads·dim_head (-m, three axial outputs) or
//                heads·dim_head (-o); without activation checkpointing a training step keeps
//                every one of its n_layer·depth block applications (a ∝ n_layer·depth);
//   FNO, IFNO:   a ∝ width·n_layer + projection.
// bench_operators prints the estimate beside the measured peak; at the calibration grids it is
// within 20 % of it (tests/unit/operators/test_memory_estimate.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "operators/model_spec.hpp"

namespace iff::operators {

struct MemoryEstimate {
  double bytes = 0;  ///< per rank
  std::string how;   ///< the terms, for the refusal message
};

/// One training step of `samples` samples on this rank (forward, loss, backward, AdamW).
MemoryEstimate training_memory(const ModelSpec& spec, int64_t parameters, int64_t samples, int bytes_per_value);

/// One evaluation (no gradients) of a batch of `samples` states.
MemoryEstimate evaluation_memory(const ModelSpec& spec, int64_t parameters, int64_t samples, int bytes_per_value);

/// The activation values per grid point and sample (a above); `training`: a training step,
/// else an evaluation.
double activation_values_per_point(const ModelSpec& spec, bool training);

}  // namespace iff::operators
