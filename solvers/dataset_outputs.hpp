// The outputs of `ifactflow dataset` (channel_dataset.hpp): the ensemble series in the data
// contract, the coarse training set and, with output.keep_full, the same snapshots on the DNS
// grid, each with /completed [n_traj] (snapshots of each trajectory on disk) and the attribute
// dataset_signature (the keys that determine the data). While the run is unfinished they live
// at their partial names; they take their final names, the coarse set last, once every
// trajectory is complete. A round of snapshots is one collective slab write per file: each
// group leader contributes its trajectory's block, every other rank an empty one.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/h5.hpp"
#include "io/series.hpp"
#include "solvers/channel_dataset.hpp"

namespace iff::solvers {

/// What a rank contributes to one round of writes: a group leader its trajectory's snapshot
/// (`mine`), every other rank nothing.
struct SnapshotBlock {
  bool mine = false;
  int traj = 0;                    ///< trajectory (when mine)
  int index = 0;                   ///< snapshot (when mine)
  const double* coarse = nullptr;  ///< [NX][NY][NZ][3], filtered
  const double* fine = nullptr;    ///< [nx][ny][nz][3] on the DNS grid (output.keep_full)
  const double* u_tau = nullptr;   ///< measured on the DNS grid
};

class DatasetOutputs {
 public:
  /// Rank 0 creates output.dir and, with output.overwrite, removes the series and the
  /// trajectory checkpoints. Collective.
  DatasetOutputs(const DatasetParams& p, std::string signature, MPI_Comm world);

  /// Whether output.dir holds this case's finished data set (every series present, every
  /// trajectory complete; InputError when it is another case's or incomplete); then it also
  /// does what a run stopped between its last renames left undone. Collective.
  bool finished();
  /// Writes config.resolved.yaml, then resumes the unfinished series (their signature
  /// checked) or creates them with the time axis `times` and `filter`'s description, and
  /// opens them for the rounds of writes. Collective.
  void open(const std::vector<double>& times, const std::string& filter);
  bool resumed() const { return resume_; }
  /// /completed of the coarse series. Collective.
  std::vector<std::int64_t> completed();
  /// Values per coarse snapshot.
  std::size_t coarse_snapshot_size() const { return coarse_.meta.snapshot_size(); }
  const std::string& work_path() const { return coarse_.work_path; }
  const std::string& trajectory_dir() const { return traj_dir_; }
  /// The finished series, for the last log line.
  std::string final_paths() const;

  /// One round: every file's /velocity slab and wall units, flushed. Collective.
  void write(const SnapshotBlock& b);
  /// /completed counts the round's snapshots, flushed (after the checkpoints). Collective.
  void count(const SnapshotBlock& b);
  /// Closes the files at their partial names (a stopped run). Collective.
  void close();
  /// Every trajectory complete: closes the files and gives them their final names, removes
  /// the trajectory checkpoints, writes the .xdmf views. Collective.
  void finish();

 private:
  /// One series (coarse or DNS grid) in the data contract, plus /completed.
  struct Series {
    std::string final_path, work_path;
    SeriesMeta meta;
    h5::File file;
  };

  void make_meta(const std::string& filter);
  void write_xdmf();

  const DatasetParams& p_;
  const std::string signature_;
  MPI_Comm world_;
  int wrank_;
  std::string traj_dir_;
  Series coarse_, full_;
  std::vector<Series*> outs_;  ///< coarse, then full when output.keep_full
  bool resume_ = false;
  bool record_wall_ = false;
};

}  // namespace iff::solvers
