// The x-slab group of attention/slab.hpp over an MPI communicator: rank r of the
// communicator holds slab r. Tensors of float32 or float64 on any device; those not on the
// CPU are staged through host memory (for an MPI that is not CUDA-aware).
//
//   sum               MPI_Allgather of the ranks' tensors, added in rank order on every rank
//                     (the same bits everywhere, whatever reduction algorithm MPI picks)
//   gather_x          MPI_Allgatherv of the slabs, x moved to the leading axis
//   reduce_scatter_x  MPI_Reduce_scatter (MPI_SUM) with the slabs' counts
//
// The sums are of pooled features and per-channel moments ([b, n_axis, dim], [b, 1, C]),
// so gathering R copies costs little; the values V gathered along x are the one large
// exchange, (R−1)/R of a sample's b·n·heads·dim_head values per block application — the same
// volume as a reduce-scatter of partial products Σ_{j in slab} K_x[:, j] V_j would move, but
// a gather leaves one GEMM with this rank's rows of K_x and needs no buffer of partial sums.
#pragma once

#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "attention/slab.hpp"
#include "io/compute.hpp"
#include "operators/model.hpp"

namespace iff::operators {

class MpiSlabGroup final : public attention::SlabGroup {
 public:
  /// Slabs of an nx-plane axis over the ranks of `comm` (not duplicated: the caller keeps
  /// it alive and uses it for nothing that could interleave with a forward or backward).
  MpiSlabGroup(MPI_Comm comm, int64_t nx);

  torch::Tensor sum(const torch::Tensor& t) const override;
  torch::Tensor gather_x(const torch::Tensor& t, int64_t dim) const override;
  torch::Tensor reduce_scatter_x(const torch::Tensor& t, int64_t dim) const override;
  /// Straight into `out` where t and out are contiguous CPU tensors, else staged.
  void gather_x_into(const torch::Tensor& t, torch::Tensor& out) const override;
  void reduce_scatter_x_into(const torch::Tensor& t, torch::Tensor& out) const override;

  /// Bytes this rank has moved since construction or the last reset: those it received
  /// from the other ranks in sum and gather_x, those it sent to them in reduce_scatter_x.
  int64_t bytes_moved() const { return bytes_; }
  void reset_bytes_moved() { bytes_ = 0; }

 private:
  void plane_counts(int64_t row, std::vector<int>& counts, std::vector<int>& offsets) const;

  MPI_Comm comm_;
  mutable int64_t bytes_ = 0;
};

/// Splits `model`'s fields over the x-slabs of the ranks of `comm` (IFactFormerImpl and
/// FnoImpl::set_slab) and returns their group. InputError for an arithmetic the split layers
/// do not run: `key` names the setting (`rollout.ranks_per_trajectory`; its section's
/// `precision` is the arithmetic's).
std::shared_ptr<MpiSlabGroup> split_in_x_slabs(Model& model, MPI_Comm comm, Arithmetic precision, const std::string& key);

}  // namespace iff::operators
