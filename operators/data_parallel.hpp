// MPI data parallelism of training (operators/training.hpp): every rank holds the whole
// model and computes the gradient of its shard of the global batch; the gradients, flattened
// into one CPU tensor, are summed over the ranks so that every rank takes the same optimizer
// step.
#pragma once

#include <torch/torch.h>
#include <mpi.h>

#include <vector>

namespace iff::operators {

/// Sum over ranks, in place (a contiguous float64 or float32 tensor on the CPU).
void allreduce_sum(torch::Tensor& t, MPI_Comm comm);
/// Sum over ranks.
double allreduce_sum(double v, MPI_Comm comm);

/// The gradient of a set of parameters as one flat tensor, summed over the ranks of a
/// communicator and written back.
class GradientAllreduce {
 public:
  GradientAllreduce(std::vector<torch::Tensor> params, MPI_Comm comm);
  /// This rank's gradients, flattened in parameter order onto the CPU (zeros for a parameter
  /// without a gradient).
  torch::Tensor local() const;
  /// Sums `flat` over the ranks (nothing to do on one rank).
  void sum(torch::Tensor& flat) const;
  /// Makes `flat` every parameter's gradient (on the parameter's device).
  void assign(const torch::Tensor& flat) const;

 private:
  std::vector<torch::Tensor> params_;
  MPI_Comm comm_;
  int size_ = 1;
};

}  // namespace iff::operators
