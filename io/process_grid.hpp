// The ranks of a job as a 2-D grid: groups of `group_size` consecutive ranks share out the
// items of the job (trajectories, samples: share_range over the groups), and the ranks of a
// group share each item (the x-slabs of one field). Group g holds ranks
// [g·group_size, (g + 1)·group_size); rank r of it is its slab rank r.
#pragma once

#include <mpi.h>

#include <string>

namespace iff {

class ProcessGrid {
 public:
  /// InputError unless `group_size` divides the ranks of `comm` (`key` names the setting in
  /// the message). Collective over `comm`.
  ProcessGrid(MPI_Comm comm, int group_size, const std::string& key);
  ~ProcessGrid();
  ProcessGrid(const ProcessGrid&) = delete;
  ProcessGrid& operator=(const ProcessGrid&) = delete;

  int groups() const { return groups_; }
  int group() const { return group_; }          ///< this rank's group
  int group_size() const { return size_; }
  int group_rank() const { return group_rank_; }  ///< this rank's place in its group
  bool leader() const { return group_rank_ == 0; }
  /// The ranks of this rank's group, in order (MPI_COMM_SELF for groups of one).
  MPI_Comm group_comm() const { return group_comm_; }

 private:
  int size_ = 1, groups_ = 1, group_ = 0, group_rank_ = 0;
  MPI_Comm group_comm_ = MPI_COMM_SELF;
};

}  // namespace iff
