// Field series in the ifactflow data contract (docs/design.md, data contract): one layout for DNS output,
// filtered-DNS training sets, LES output and operator predictions.
//
//   /velocity  [n_traj, n_time, nx, ny, nz, 3]  float32|float64, one snapshot per chunk,
//                                               time axis extensible
//   /pressure  [n_traj, n_time, nx, ny, nz]     optional
//   /grid/x, /grid/y, /grid/z                   float64 node coordinates; x, z periodic
//                                               without the end point, y ascending from
//                                               the wall y = -1 to the wall y = +1
//   /time      [n_time]                         float64
//   root attributes: format = "ifactflow-series", format_version, kind, re_tau, nu, lx, ly,
//                    lz, units, filter, model, config, git_commit
//
// Wall units (optional; series without them, as written before they existed or imported,
// read with SeriesMeta::wall empty): the wall units measured by the run that made the
// snapshots, at that run's resolution, so that every later statistic of a filtered or
// derived series uses the parent run's u_tau instead of its own coarse wall slope.
//   /wall/u_tau  [n_traj, n_time]  float64, per snapshot u_tau = sqrt(max(tau_w, 0)),
//                tau_w = nu (dU/dy|_{y=-1} - dU/dy|_{y=+1}) / 2 of the snapshot's
//                plane-averaged U(y) (both walls); NaN: no record for that snapshot
//   root attributes: wall_measured_by (kind of the run that measured them: dns, les-dsm, ..),
//                wall_grid ("NXxNYxNZ" of that run), driving (pressure_gradient |
//                bulk_velocity | unknown), and over the recorded snapshots: wall_snapshots,
//                wall_u_tau = sqrt(mean tau_w), wall_window = [first, last time],
//                wall_re_tau = wall_u_tau h / nu (h = 1, nu the attribute nu)
// dns and LES runs and `dataset` measure them on the DNS/LES state as each snapshot is
// taken; `filter` copies its input's records, or measures them on the fine input before
// filtering; a prediction carries its reference series' records at the reference snapshot
// each of its snapshots corresponds to (NaN past the reference's end). format_version stays
// 1: readers tell the two kinds of file apart by wall_measured_by and /wall/u_tau.
//
// Writes are collective when the file is shared by several ranks: each rank passes the
// block it holds (a range of trajectories and a range of x planes); a rank holding nothing
// passes an empty block. Snapshots are flushed as they are appended, so an interrupted
// run keeps every completed snapshot.
#pragma once

#include <mpi.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/fsutil.hpp"
#include "io/h5.hpp"

namespace iff {

inline constexpr const char* kSeriesFormat = "ifactflow-series";
inline constexpr int kSeriesFormatVersion = 1;

/// Chebyshev–Gauss–Lobatto points in ascending order, y_j = -cos(pi j / (n - 1)).
std::vector<double> gauss_lobatto_y(int n);

/// Whether `y` (ascending) is gauss_lobatto_y(y.size()) to within `tol` at every point (and
/// has at least 2 points): a series whose y the Chebyshev quadrature and projection apply to.
bool on_gauss_lobatto_y(const std::vector<double>& y, double tol = 1e-9);

/// Who measured a series' wall units (the /wall records and wall_* attributes above).
struct SeriesWallUnits {
  std::string measured_by;    ///< kind of the run that measured them (dns, les-dsm, ...)
  std::string grid;           ///< that run's grid, "NXxNYxNZ"
  std::string driving = "unknown";  ///< pressure_gradient, bulk_velocity or unknown
  // summary over the recorded snapshots: read from the file; a writer ignores these fields
  // and recomputes them from /wall/u_tau with every write_wall_units()
  long snapshots = 0;         ///< snapshots with a record
  double u_tau = 0.0;         ///< sqrt(mean tau_w) over them
  double t_first = 0.0, t_last = 0.0;  ///< their time window
};

/// Everything about a series except the field values.
struct SeriesMeta {
  std::string kind = "dns";        ///< dns, fdns, les-dsm, les-wale, les-smagorinsky, prediction
  int n_traj = 1;                  ///< number of trajectories
  std::vector<double> x, y, z;     ///< node coordinates (x, z periodic without end point)
  bool has_pressure = false;       ///< whether /pressure is stored
  h5::DType dtype = h5::DType::f32;  ///< storage type of the fields
  double re_tau = 0.0;             ///< friction Reynolds number (0: unknown)
  double nu = 0.0;                 ///< kinematic viscosity in the series' units
  double lx = 0.0, ly = 2.0, lz = 0.0;  ///< box lengths (h = 1)
  std::string units = "h, u_tau";  ///< "h, u_tau" or "h, U_bulk"
  std::string filter;              ///< filter description (filtered series)
  std::string model;               ///< operator description (predictions)
  std::string config;              ///< resolved YAML that produced the series
  std::string git_commit;          ///< commit of the producing binary
  std::optional<SeriesWallUnits> wall;  ///< wall-unit records (empty: the series has none)

  int nx() const { return static_cast<int>(x.size()); }
  int ny() const { return static_cast<int>(y.size()); }
  int nz() const { return static_cast<int>(z.size()); }
  /// Values per snapshot of one trajectory (nx*ny*nz*3).
  std::size_t snapshot_size() const { return static_cast<std::size_t>(nx()) * ny() * nz() * 3; }
  /// Periodic box lengths: the recorded lx / lz, else the last node plus one spacing (the
  /// nodes of a periodic axis hold no end point).
  double box_lx() const { return box_length(lx, x); }
  double box_lz() const { return box_length(lz, z); }

 private:
  static double box_length(double l, const std::vector<double>& c) {
    return l > 0 ? l : c.back() + (c.size() > 1 ? c[1] - c[0] : 1.0);
  }
};

/// The part of one snapshot a rank holds: trajectories [traj0, traj0+n_traj) and x planes
/// [x0, x0+nx). Data are row-major [n_traj][nx][ny][nz][3] (velocity) and
/// [n_traj][nx][ny][nz] (pressure).
struct SeriesBlock {
  int traj0 = 0, n_traj = 0;
  int x0 = 0, nx = 0;
  bool empty() const { return n_traj == 0 || nx == 0; }
};

enum class WriteMode {
  atomic,    ///< written under a temporary name, renamed into place by close()
  in_place,  ///< written at its final name (long runs that must keep completed snapshots)
};

class SeriesWriter {
 public:
  /// Creates a series (collective over `comm`). InputError when the directory is missing
  /// or not writable.
  SeriesWriter(const std::string& path, const SeriesMeta& meta, MPI_Comm comm = MPI_COMM_SELF,
               WriteMode mode = WriteMode::atomic);
  /// Re-opens an existing series to continue appending (resume). Collective.
  static SeriesWriter reopen(const std::string& path, MPI_Comm comm = MPI_COMM_SELF);
  /// Continues a series written in place by a run that may have been killed while writing.
  /// An in-place series is marked (.NAME.writing, next to it) from its first change after a
  /// flush until that change is flushed: a killed HDF5 writer can leave metadata that still
  /// reads but can no longer be extended. Unmarked, the series is reopened as it is; marked,
  /// its first `n_time` snapshots (what the caller's progress records say was complete),
  /// their wall-unit records and the `records` (write_record) are copied into a fresh file
  /// that atomically replaces it. Collective. InputError naming the file when those
  /// snapshots cannot be read.
  static SeriesWriter resume(const std::string& path, int n_time, const std::vector<std::string>& records,
                             MPI_Comm comm = MPI_COMM_SELF);

  SeriesWriter(SeriesWriter&&) noexcept;
  SeriesWriter& operator=(SeriesWriter&&) noexcept;
  /// Without close(), an atomic series is discarded (an error path: nothing is checked).
  ~SeriesWriter();

  /// Writes snapshot `time_index` (extending the time axis when needed). Collective.
  /// `pressure` may be null when the series has none.
  void write(int time_index, double time, const SeriesBlock& block, const double* velocity,
             const double* pressure = nullptr);
  /// Writes `times.size()` consecutive snapshots from `first_time_index` in one collective
  /// transfer (one extension of the time axis, one flush): `velocity` holds the block as
  /// [n_traj][times.size()][nx][ny][nz][3], the file's own order, `pressure` likewise without
  /// the last axis (null when the series has none). write() is its one-snapshot case.
  void write_times(int first_time_index, const std::vector<double>& times, const SeriesBlock& block,
                   const double* velocity, const double* pressure = nullptr);
  /// write() at the next time index.
  void append(double time, const SeriesBlock& block, const double* velocity,
              const double* pressure = nullptr);
  /// Records the wall units of snapshots [first_time_index, first_time_index+n_times) of the
  /// block's trajectories (`u_tau`: [n_traj][n_times]; the block's x range is ignored).
  /// Requires meta().wall. Collective; see write_wall_units below.
  void write_wall_units(int first_time_index, int n_times, const SeriesBlock& block, const double* u_tau);

  /// Writes a small record `dataset` (created by the first call with its length, rewritten
  /// by the next ones) and flushes the file, e.g. a rollout's /completed_steps [n_traj] as it
  /// goes. Collective; every rank passes the same values.
  void write_record(const std::string& dataset, const std::vector<double>& values);

  int n_time() const { return n_time_; }
  const SeriesMeta& meta() const { return meta_; }
  const std::string& path() const { return final_path_; }
  /// Flushes, closes and (atomic mode) renames into place. Collective. IOError on every
  /// rank when the file could not be completed (a full disk): then nothing is renamed.
  void close();

 private:
  SeriesWriter() = default;
  std::string final_path_;
  SeriesMeta meta_;
  MPI_Comm comm_ = MPI_COMM_SELF;
  /// Marks an in-place series as being changed (rank 0 creates .NAME.writing) before its
  /// first change after a flush; flushed() removes the mark.
  void changing();
  void flushed();
  std::unique_ptr<AtomicPath> atomic_;
  h5::File file_;
  int n_time_ = 0;
  bool marked_ = false;
};

/// The mark of an in-place series being changed (SeriesWriter::resume): .NAME.writing.
std::string series_writing_mark(const std::string& path);

class SeriesReader {
 public:
  /// Opens and validates a series (InputError naming the file and the problem: not HDF5,
  /// missing /velocity, grid lengths that do not match the field shape, ...).
  explicit SeriesReader(const std::string& path, MPI_Comm comm = MPI_COMM_SELF);

  const SeriesMeta& meta() const { return meta_; }
  int n_time() const { return n_time_; }
  const std::vector<double>& times() const { return times_; }
  const std::string& path() const { return path_; }

  /// Reads velocity (and pressure when `pressure` is non-null and stored) of snapshot
  /// `time_index` for the block's trajectories and x planes (layout as SeriesBlock).
  /// InputError naming file, trajectory, time, component and point at a non-finite value.
  void read(int time_index, const SeriesBlock& block, double* velocity, double* pressure = nullptr) const;
  /// The whole snapshot of one trajectory: [nx][ny][nz][3].
  std::vector<double> read_velocity(int traj, int time_index) const;
  /// The per-snapshot u_tau records [n_traj][n_time] (NaN where a snapshot has none);
  /// empty when the series records no wall units.
  std::vector<double> wall_u_tau() const;

  /// Read access to the underlying file (for attributes beyond the contract).
  const h5::File& file() const { return file_; }

 private:
  std::string path_;
  SeriesMeta meta_;
  h5::File file_;
  int n_time_ = 0;
  std::vector<double> times_;
};

/// Writes u_tau records [n_traj][n_times] of trajectories [traj0, traj0+n_traj) and time
/// indices [first_time_index, first_time_index+n_times) into /wall/u_tau of a series open for
/// writing (a rank with nothing to record passes n_traj = 0), extending it with NaN (no
/// record) when needed, and rewrites the summary attributes (wall_snapshots, wall_u_tau,
/// wall_window, wall_re_tau) from every record in the file. Collective over the file's
/// communicator.
void write_wall_units(h5::File& file, int first_time_index, int n_times, int traj0, int n_traj, const double* u_tau);

/// "NXxNYxNZ".
std::string grid_name(int nx, int ny, int nz);

}  // namespace iff
