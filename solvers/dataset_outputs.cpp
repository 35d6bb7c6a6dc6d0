#include "solvers/dataset_outputs.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "io/agreed.hpp"
#include "io/comm.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/log.hpp"
#include "io/xdmf.hpp"

namespace fs = std::filesystem;

namespace iff::solvers {

namespace {

/// First line where two signatures differ ("" when equal).
std::string signature_difference(const std::string& want, const std::string& have) {
  std::istringstream a(want), b(have);
  std::string la, lb;
  while (true) {
    const bool ga = bool(std::getline(a, la)), gb = bool(std::getline(b, lb));
    if (!ga && !gb) return "";
    if (!ga || !gb || la != lb) return "case '" + la + "' vs output '" + lb + "'";
  }
}

/// Signature and /completed of an existing output (read on this rank alone).
std::vector<std::int64_t> read_progress(const std::string& path, const std::string& signature, int n_traj) {
  auto f = h5::File::open(path);
  IFF_REQUIRE(f.has_attr("/", "dataset_signature") && f.exists("/completed"),
              "output " << path << " was not written by `ifactflow dataset` (no dataset_signature or /completed); "
                        << "remove it, set output.overwrite: true or choose another output.dir");
  const std::string diff = signature_difference(signature, f.attr_string("/", "dataset_signature"));
  IFF_REQUIRE(diff.empty(), "output " << path << " holds another data set (" << diff
                                      << "); set output.overwrite: true or choose another output.dir");
  std::vector<std::int64_t> c(n_traj);
  IFF_REQUIRE(f.shape("/completed") == std::vector<hsize_t>{hsize_t(n_traj)},
              "output " << path << ": /completed does not have " << n_traj << " entries");
  f.read_slab_i64("/completed", {0}, {hsize_t(n_traj)}, c.data());
  return c;
}

/// Whether the chunked datasets of `path` can be written collectively (h5::File::
/// allocated_early); read on this rank alone.
bool collectively_writable(const std::string& path) {
  const auto f = h5::File::open(path);
  for (const char* d : {"/velocity", "/wall/u_tau"})
    if (f.exists(d) && !f.allocated_early(d)) return false;
  return true;
}

/// The unfinished (work) file if there is one, else the finished one, else "".
std::string existing(const std::string& work_path, const std::string& final_path) {
  if (fs::exists(work_path)) return work_path;
  return fs::exists(final_path) ? final_path : std::string();
}

/// Creates `work_path` complete (series, /time, /completed, signature) under a temporary
/// name and renames it into place, so that a partial file is always a valid one.
void create_series(const std::string& work_path, const SeriesMeta& meta, const std::vector<double>& times,
                   const std::string& signature, MPI_Comm world) {
  // (AtomicPath removes the temporary file when anything below fails, a full disk)
  AtomicPath target(work_path, world);
  {
    SeriesWriter w(target.temp(), meta, world, WriteMode::atomic);
    // the whole time axis at once: the velocity's shape is final from the start
    for (int s = int(times.size()) - 1; s >= 0; --s) w.write(s, times[s], SeriesBlock{}, nullptr);
    w.close();
  }
  {
    auto f = h5::File::open(target.temp(), true, world);
    const hsize_t n = hsize_t(meta.n_traj);
    f.create_dataset("/completed", {n}, h5::DType::i64);
    std::vector<std::int64_t> zero(n, 0);
    f.write_slab_i64("/completed", {0}, {comm_rank(world) == 0 ? n : hsize_t{0}}, zero.data());
    f.set_attr("/completed", "meaning",
               std::string("snapshots of each trajectory on disk: /velocity[i, 0:completed[i]] is final"));
    f.set_attr("/", "dataset_signature", signature);
    f.close();
  }
  MPI_Barrier(world);
  run_agreed(world, [&] { target.commit(); });
}

}  // namespace

DatasetOutputs::DatasetOutputs(const DatasetParams& p, std::string signature, MPI_Comm world)
    : p_(p), signature_(std::move(signature)), world_(world), wrank_(comm_rank(world)),
      traj_dir_(p.dir + "/trajectories") {
  coarse_.final_path = p_.coarse_path();
  coarse_.work_path = partial_name(coarse_.final_path);
  full_.final_path = p_.full_path();
  full_.work_path = partial_name(full_.final_path);
  outs_ = {&coarse_};
  if (p_.keep_full) outs_.push_back(&full_);
  if (wrank_ == 0) {
    ensure_directory(p_.dir);
    if (p_.overwrite) {
      for (auto* o : outs_) {
        fs::remove(o->final_path);
        fs::remove(o->work_path);
      }
      fs::remove_all(traj_dir_);
    }
  }
  MPI_Barrier(world_);
  resume_ = fs::exists(coarse_.work_path);
}

bool DatasetOutputs::finished() {
  if (resume_ || !fs::exists(coarse_.final_path)) return false;
  for (auto* o : outs_) {
    const auto path = existing(o->work_path, o->final_path);
    IFF_REQUIRE(!path.empty(), "output " << coarse_.final_path << " exists but " << o->final_path
                                         << " does not; set output.overwrite: true or choose another output.dir");
    const auto c = read_progress(path, signature_, p_.n_traj);
    IFF_REQUIRE(std::all_of(c.begin(), c.end(), [&](std::int64_t v) { return v == p_.n_time; }),
                "output " << path << " is incomplete; set output.overwrite: true or choose another output.dir");
  }
  MPI_Barrier(world_);
  if (wrank_ == 0 && p_.keep_full && fs::exists(full_.work_path)) fs::rename(full_.work_path, full_.final_path);
  write_xdmf();  // (a run stopped between the renames and these)
  log::info("dataset: {} is complete for this case; nothing to do (output.overwrite: true starts again)",
            coarse_.final_path);
  return true;
}

void DatasetOutputs::make_meta(const std::string& filter) {
  const auto& g = p_.grid;
  auto base_meta = [&](int nx, std::vector<double> y, int nz) {
    SeriesMeta m = channel_series_meta(p_.physics, g.lx, g.lz, nx, std::move(y), nz);
    m.n_traj = p_.n_traj;
    m.dtype = p_.dtype;
    m.config = p_.resolved_config;
    m.git_commit = p_.git_commit;
    // the wall units of every snapshot, measured on the DNS grid as it is taken
    m.wall = SeriesWallUnits{"dns", grid_name(g.nx, g.ny, g.nz), to_string(p_.physics.driving)};
    return m;
  };
  coarse_.meta = base_meta(p_.NX, gauss_lobatto_y(p_.NY), p_.NZ);
  coarse_.meta.kind = "fdns";
  coarse_.meta.filter = filter;
  auto yf = g.y();
  std::reverse(yf.begin(), yf.end());  // wall to wall, ascending (as the DNS snapshots)
  full_.meta = base_meta(g.nx, yf, g.nz);
  full_.meta.kind = "dns";
}

void DatasetOutputs::open(const std::vector<double>& times, const std::string& filter) {
  make_meta(filter);
  // the case and its initial state have passed their checks: the outputs begin
  run_agreed(world_, [&] {  // rank 0's write: its failure ends every rank with its error
    if (wrank_ == 0 && !p_.resolved_config.empty())
      write_text_atomic(p_.dir + "/config.resolved.yaml", p_.resolved_config);
  });
  if (resume_) {
    for (auto* o : outs_) {
      const auto path = existing(o->work_path, o->final_path);
      IFF_REQUIRE(!path.empty(), "unfinished output " << coarse_.work_path << " has no companion " << o->work_path
                                                      << "; set output.overwrite: true to start again");
      read_progress(path, signature_, p_.n_traj);  // every rank checks (InputError on mismatch)
      IFF_REQUIRE(comm_size(world_) == 1 || collectively_writable(path),
                  "unfinished output " << path << " was begun on one rank by an older version, which left its "
                                       << "unwritten snapshots unallocated for parallel HDF5; resume it on one rank "
                                       << "or set output.overwrite: true to start again");
      if (path != o->work_path && wrank_ == 0) fs::rename(path, o->work_path);
    }
    MPI_Barrier(world_);
  } else {
    if (wrank_ == 0) fs::remove_all(traj_dir_);  // stale checkpoints of another run
    MPI_Barrier(world_);
    if (p_.keep_full) create_series(full_.work_path, full_.meta, times, signature_, world_);
    create_series(coarse_.work_path, coarse_.meta, times, signature_, world_);  // last: its presence means "resume"
  }
  if (wrank_ == 0) ensure_directory(traj_dir_);
  for (auto* o : outs_) o->file = h5::File::open(o->work_path, true, world_);
  MPI_Barrier(world_);
  // (an unfinished output of an older version has no wall-unit records: it gets none)
  record_wall_ = coarse_.file.exists("/wall/u_tau") && (!p_.keep_full || full_.file.exists("/wall/u_tau"));
  if (!record_wall_)
    log::warn("dataset: {} has no /wall/u_tau; its snapshots get no wall-unit records", coarse_.work_path);
}

std::vector<std::int64_t> DatasetOutputs::completed() {
  std::vector<std::int64_t> on_disk(p_.n_traj, 0);
  coarse_.file.read_slab_i64("/completed", {0}, {hsize_t(p_.n_traj)}, on_disk.data());
  return on_disk;
}

std::string DatasetOutputs::final_paths() const {
  return coarse_.final_path + (p_.keep_full ? " and " + full_.final_path : std::string());
}

void DatasetOutputs::write(const SnapshotBlock& b) {
  const std::vector<hsize_t> cshape = {1, 1, hsize_t(p_.NX), hsize_t(p_.NY), hsize_t(p_.NZ), 3};
  const std::vector<hsize_t> fshape = {1, 1, hsize_t(p_.grid.nx), hsize_t(p_.grid.ny), hsize_t(p_.grid.nz), 3};
  const std::vector<hsize_t> none(6, 0);
  const std::vector<hsize_t> at = {hsize_t(b.mine ? b.traj : 0), hsize_t(b.mine ? b.index : 0), 0, 0, 0, 0};
  coarse_.file.write_slab("/velocity", at, b.mine ? cshape : none, b.coarse);
  if (p_.keep_full) full_.file.write_slab("/velocity", at, b.mine ? fshape : none, b.fine);
  if (record_wall_)
    for (auto* o : outs_)
      write_wall_units(o->file, b.mine ? b.index : 0, 1, b.mine ? b.traj : 0, b.mine ? 1 : 0, b.u_tau);
  for (auto* o : outs_) o->file.flush();
}

void DatasetOutputs::count(const SnapshotBlock& b) {
  const std::int64_t done = b.index + 1;
  for (auto* o : outs_) {
    o->file.write_slab_i64("/completed", {hsize_t(b.mine ? b.traj : 0)}, {hsize_t(b.mine ? 1 : 0)}, &done);
    o->file.flush();
  }
}

void DatasetOutputs::close() {
  for (auto* o : outs_) o->file.close();
  MPI_Barrier(world_);
}

void DatasetOutputs::finish() {
  close();
  if (wrank_ == 0) {
    // the coarse set last: while it has its partial name the run is unfinished
    for (auto it = outs_.rbegin(); it != outs_.rend(); ++it) fs::rename((*it)->work_path, (*it)->final_path);
    fs::remove_all(traj_dir_);  // (a job killed just after finishing a trajectory leaves its checkpoint)
  }
  MPI_Barrier(world_);
  write_xdmf();
}

void DatasetOutputs::write_xdmf() {  // ParaView's view of each finished series (io/xdmf.hpp)
  run_agreed(world_, [&] {
    if (wrank_ == 0)
      for (auto* o : outs_) write_series_xdmf(o->final_path, xdmf_path_for(o->final_path));
  });
}

}  // namespace iff::solvers
