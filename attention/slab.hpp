// One field split in x-slabs over the ranks of a group (domain decomposition of a sample):
// rank r of R holds the x planes [x0_r, x0_r + nx_r), the first nx mod R ranks one plane
// more than the others (uneven splits allowed, every rank at least one plane).
//
// The factorized attention needs three collectives over such a group (attention/
// factorized_block.hpp): pooled means over x and InstanceNorm moments (sums over the ranks),
// the x-axis pooled features and the values V for the axial product along x (all-gathers of
// the slabs). SlabGroup is the interface the model library sees, so that it stays free of
// MPI; operators/mpi_slab_group.hpp implements it over an MPI communicator.
//
// The differentiable forms: for y = Σ_r t_r (on every rank) and a loss L = Σ_r L_r(y), the
// gradient of t on each rank is Σ_r ∂L_r/∂y, the same sum of the incoming gradients; for
// the all-gather y = [t_0, …, t_{R−1}] it is the sum over the ranks of the incoming
// gradients' rows of this rank's slab (a reduce-scatter). Each rank's parameter gradients
// are then its part of the whole field's: their sum over the group is the gradient of the
// unsplit model.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace iff::attention {

/// The planes [x0, x0 + count) of rank `rank` of `ranks` for an axis of n planes.
struct SlabExtent {
  int64_t x0 = 0, count = 0;
};
SlabExtent slab_extent(int64_t n, int ranks, int rank);

class SlabGroup {
 public:
  virtual ~SlabGroup() = default;
  int64_t nx() const { return nx_; }              ///< planes of the whole field
  int64_t x0() const { return own_.x0; }          ///< this rank's first plane
  int64_t nx_local() const { return own_.count; }  ///< this rank's planes
  int ranks() const { return ranks_; }
  int rank() const { return rank_; }

  /// Σ over the group's ranks of t (the same shape on each), with the same bits on every
  /// rank (summed in rank order). Not differentiable: see slab_sum.
  virtual torch::Tensor sum(const torch::Tensor& t) const = 0;
  /// The ranks' slabs of t along `dim` (nx_local planes there on each) joined in rank order
  /// (nx planes). Not differentiable: see slab_gather_x.
  virtual torch::Tensor gather_x(const torch::Tensor& t, int64_t dim) const = 0;
  /// Σ over the ranks of t (nx planes along `dim` on each), this rank's planes of it.
  virtual torch::Tensor reduce_scatter_x(const torch::Tensor& t, int64_t dim) const = 0;
  /// gather_x and reduce_scatter_x along dim 0 into `out`, a contiguous tensor of the
  /// result's shape and t's dtype that the caller keeps between calls (a fresh result of
  /// hundreds of MB per call costs a page fault per 4 KiB).
  virtual void gather_x_into(const torch::Tensor& t, torch::Tensor& out) const { out.copy_(gather_x(t, 0)); }
  virtual void reduce_scatter_x_into(const torch::Tensor& t, torch::Tensor& out) const {
    out.copy_(reduce_scatter_x(t, 0));
  }

 protected:
  SlabGroup(int64_t nx, int ranks, int rank);

 private:
  int64_t nx_;
  int ranks_, rank_;
  SlabExtent own_;
};

/// Σ over the group of t, differentiable (its gradient: slab_sum of the incoming one).
torch::Tensor slab_sum(const torch::Tensor& t, const SlabGroup& g);
/// The slabs of t joined along `dim`, differentiable (its gradient: reduce_scatter_x).
torch::Tensor slab_gather_x(const torch::Tensor& t, int64_t dim, const SlabGroup& g);
/// The axial product along a split x for this rank's rows of the kernel:
///   y[., ., i, m] = Σ_j K_rows[., ., i, j] t_all[., ., j, m],
/// K_rows [b, h, nx_local, nx], t [b, h, nx_local, M] this rank's planes of t_all (gathered
/// over the group). Differentiable, and keeps only the slab t for its backward, which
/// gathers the planes again: a training step holds no whole-field values.
torch::Tensor slab_product_x(const torch::Tensor& k_rows, const torch::Tensor& t, const SlabGroup& g);

}  // namespace iff::attention
