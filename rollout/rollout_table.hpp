// rollout.csv: one row per step and trajectory, as each rank's trajectories reach it,
//   step,t,trajectory,kinetic_energy,u_centre,err_u,err_v,err_w,err_total,err_fluct
// (the errors against the reference snapshot at that step, analysis/field_errors.hpp; empty
// past the reference's end). Rows are kept on their rank until save(), which gathers them on
// rank 0 and rewrites the whole file in (step, trajectory) order, atomically.
#pragma once

#include <mpi.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace iff::rollout {

class RolloutTable {
 public:
  /// resume_step >= 0: the rows of an existing `path` up to that step are kept (rank 0).
  RolloutTable(std::string path, MPI_Comm comm, int resume_step = -1);
  /// This rank's row; `errors` holds err_u, err_v, err_w, err_total, err_fluct, or is empty.
  void add(int step, double t, int trajectory, double kinetic_energy, double u_centre,
           const std::vector<double>& errors);
  /// Gathers every rank's new rows on rank 0. Collective.
  void collect();
  /// Rank 0: writes the file from the rows collected so far (a no-op elsewhere; the caller
  /// agrees its failure over the ranks).
  void write() const;

 private:
  using Key = std::pair<long, long>;  // step, trajectory
  static Key key(const std::string& line);

  std::string path_;
  MPI_Comm comm_;
  std::ostringstream mine_;                       // this rank's rows since the last gather
  std::vector<std::pair<Key, std::string>> rows_;  // rank 0: every row so far
};

/// Rank 0: every rank's `mine` concatenated in rank order (collective; "" elsewhere).
std::string gather_text(const std::string& mine, MPI_Comm comm);

}  // namespace iff::rollout
