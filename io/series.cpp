#include "io/series.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>

#include <fmt/format.h>

#include "io/agreed.hpp"
#include "io/comm.hpp"
#include "io/error.hpp"
#include "io/finite.hpp"
#include "io/log.hpp"
#include "io/xdmf.hpp"

namespace iff {

namespace fs = std::filesystem;

namespace {

void validate(const SeriesMeta& m, const std::string& path) {
  IFF_REQUIRE(m.n_traj > 0, "series " << path << ": n_traj must be positive, got " << m.n_traj);
  IFF_REQUIRE(m.nx() > 0 && m.ny() > 0 && m.nz() > 0,
              "series " << path << ": grid must be non-empty, got " << m.nx() << "x" << m.ny() << "x" << m.nz());
  IFF_REQUIRE(m.dtype == h5::DType::f32 || m.dtype == h5::DType::f64,
              "series " << path << ": fields must be float32 or float64");
}

void write_attrs(h5::File& f, const SeriesMeta& m) {
  f.set_attr("/", "format", std::string(kSeriesFormat));
  f.set_attr("/", "format_version", static_cast<std::int64_t>(kSeriesFormatVersion));
  f.set_attr("/", "kind", m.kind);
  f.set_attr("/", "re_tau", m.re_tau);
  f.set_attr("/", "nu", m.nu);
  f.set_attr("/", "lx", m.lx);
  f.set_attr("/", "ly", m.ly);
  f.set_attr("/", "lz", m.lz);
  f.set_attr("/", "units", m.units);
  f.set_attr("/", "filter", m.filter);
  f.set_attr("/", "model", m.model);
  f.set_attr("/", "config", m.config);
  f.set_attr("/", "git_commit", m.git_commit);
  if (m.wall) {
    // who measured them; the summary starts empty and follows the records
    f.set_attr("/", "wall_measured_by", m.wall->measured_by);
    f.set_attr("/", "wall_grid", m.wall->grid);
    f.set_attr("/", "driving", m.wall->driving.empty() ? std::string("unknown") : m.wall->driving);
    f.set_attr("/", "wall_snapshots", std::int64_t{0});
    f.set_attr("/", "wall_u_tau", 0.0);
    f.set_attr("/", "wall_re_tau", 0.0);
    f.set_attr("/", "wall_window", std::vector<double>{0.0, 0.0});
    const hsize_t nt = m.n_traj;
    f.create_dataset("/wall/u_tau", {nt, 0}, h5::DType::f64, {nt, H5S_UNLIMITED}, {nt, 64});
    f.set_attr("/wall/u_tau", "meaning",
               std::string("per snapshot u_tau = sqrt(tau_w), tau_w = nu (dU/dy(-1) - dU/dy(+1))/2 of the "
                           "plane-averaged U, measured by the run named in wall_measured_by at wall_grid; NaN: "
                           "no record"));
  }
}

SeriesMeta read_meta(const h5::File& f, int* n_time) {
  const std::string& path = f.path();
  IFF_REQUIRE(f.exists("/velocity"), "series " << path << " has no /velocity dataset");
  const auto vs = f.shape("/velocity");
  IFF_REQUIRE(vs.size() == 6 && vs[5] == 3,
              "series " << path << ": /velocity must have shape [n_traj, n_time, nx, ny, nz, 3]");
  SeriesMeta m;
  m.n_traj = static_cast<int>(vs[0]);
  *n_time = static_cast<int>(vs[1]);
  for (const char* axis : {"x", "y", "z"})
    IFF_REQUIRE(f.exists(std::string("/grid/") + axis), "series " << path << " has no /grid/" << axis);
  m.x = f.read_vector("/grid/x");
  m.y = f.read_vector("/grid/y");
  m.z = f.read_vector("/grid/z");
  IFF_REQUIRE(m.x.size() == vs[2] && m.y.size() == vs[3] && m.z.size() == vs[4],
              "series " << path << ": grid lengths " << m.x.size() << "x" << m.y.size() << "x" << m.z.size()
                        << " do not match /velocity's " << vs[2] << "x" << vs[3] << "x" << vs[4]);
  m.dtype = f.dtype("/velocity");
  IFF_REQUIRE(m.dtype != h5::DType::i64, "series " << path << ": /velocity must be float32 or float64");
  m.has_pressure = f.exists("/pressure");
  if (m.has_pressure) {
    const auto ps = f.shape("/pressure");
    IFF_REQUIRE(ps.size() == 5 && ps[0] == vs[0] && ps[1] == vs[1] && ps[2] == vs[2] && ps[3] == vs[3] &&
                    ps[4] == vs[4],
                "series " << path << ": /pressure shape does not match /velocity");
  }
  auto str = [&](const char* name, const std::string& def) {
    return f.has_attr("/", name) ? f.attr_string("/", name) : def;
  };
  auto num = [&](const char* name, double def) { return f.has_attr("/", name) ? f.attr_double("/", name) : def; };
  m.kind = str("kind", "unknown");
  m.units = str("units", "");
  m.filter = str("filter", "");
  m.model = str("model", "");
  m.config = str("config", "");
  m.git_commit = str("git_commit", "");
  m.re_tau = num("re_tau", 0.0);
  m.nu = num("nu", 0.0);
  m.lx = num("lx", 0.0);
  m.ly = num("ly", 2.0);
  m.lz = num("lz", 0.0);
  if (f.has_attr("/", "wall_measured_by") && f.exists("/wall/u_tau")) {
    SeriesWallUnits w;
    w.measured_by = str("wall_measured_by", "");
    w.grid = str("wall_grid", "");
    w.driving = str("driving", "unknown");
    w.snapshots = f.has_attr("/", "wall_snapshots") ? static_cast<long>(f.attr_int("/", "wall_snapshots")) : 0;
    w.u_tau = num("wall_u_tau", 0.0);
    if (f.has_attr("/", "wall_window")) {
      const auto win = f.attr_vector("/", "wall_window");
      if (win.size() == 2) w.t_first = win[0], w.t_last = win[1];
    }
    const auto ws = f.shape("/wall/u_tau");
    IFF_REQUIRE(ws.size() == 2 && ws[0] == vs[0],
                "series " << path << ": /wall/u_tau must have shape [n_traj, n_time] with n_traj = " << vs[0]);
    m.wall = w;
  }
  return m;
}

/// A series whose geometry is not a channel in the contract's conventions is refused by
/// every reader: coordinates ascending (y from wall to wall within [-1, 1]), box lengths
/// positive where recorded (0: not recorded) and longer than the nodes span, finite
/// physical parameters, snapshot times finite and increasing.
void validate_geometry(const SeriesMeta& m, const std::vector<double>& times, const std::string& path) {
  auto ascending = [&](const std::vector<double>& v, const char* axis) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      IFF_REQUIRE(std::isfinite(v[i]), "series " << path << ": /grid/" << axis << "[" << i << "] is not finite");
      IFF_REQUIRE(i == 0 || v[i] > v[i - 1], "series " << path << ": /grid/" << axis << " is not ascending ("
                                                       << axis << "[" << i - 1 << "] = " << v[i - 1] << ", " << axis
                                                       << "[" << i << "] = " << v[i] << ")");
    }
  };
  ascending(m.x, "x");
  ascending(m.y, "y");
  ascending(m.z, "z");
  IFF_REQUIRE(m.y.empty() || (m.y.front() >= -1 - 1e-9 && m.y.back() <= 1 + 1e-9),
              "series " << path << ": y runs from " << m.y.front() << " to " << m.y.back()
                        << ", outside the channel [-1, 1] (walls at y = -1 and +1, h = 1)");
  auto box = [&](double l, const std::vector<double>& v, const char* name) {
    IFF_REQUIRE(std::isfinite(l) && l >= 0, "series " << path << ": box length " << name << " = " << l
                                                      << " (must be positive)");
    IFF_REQUIRE(l == 0 || v.empty() || v.back() - v.front() < l,
                "series " << path << ": box length " << name << " = " << l << " does not hold the nodes, which span "
                          << v.back() - v.front());
  };
  box(m.lx, m.x, "lx");
  box(m.lz, m.z, "lz");
  for (const auto& [name, v] : {std::pair<const char*, double>{"nu", m.nu}, {"re_tau", m.re_tau}, {"ly", m.ly}})
    IFF_REQUIRE(std::isfinite(v) && v >= 0, "series " << path << ": attribute " << name << " = " << v
                                                      << " (must be a non-negative number)");
  for (std::size_t i = 0; i < times.size(); ++i) {
    IFF_REQUIRE(std::isfinite(times[i]), "series " << path << ": /time[" << i << "] is not finite");
    IFF_REQUIRE(i == 0 || times[i] > times[i - 1], "series " << path << ": /time is not increasing (t[" << i - 1
                                                             << "] = " << times[i - 1] << ", t[" << i
                                                             << "] = " << times[i] << ")");
  }
}

}  // namespace

std::vector<double> gauss_lobatto_y(int n) {
  IFF_REQUIRE(n >= 2, "Gauss-Lobatto grid needs at least 2 points, got " << n);
  std::vector<double> y(n);
  for (int j = 0; j < n; ++j) y[j] = -std::cos(M_PI * j / (n - 1));
  y[0] = -1.0;
  y[n - 1] = 1.0;
  if (n % 2 == 1) y[n / 2] = 0.0;
  return y;
}

bool on_gauss_lobatto_y(const std::vector<double>& y, double tol) {
  if (y.size() < 2) return false;
  const auto gl = gauss_lobatto_y(static_cast<int>(y.size()));
  for (std::size_t j = 0; j < y.size(); ++j)
    if (!(std::abs(gl[j] - y[j]) <= tol)) return false;
  return true;
}

SeriesWriter::SeriesWriter(const std::string& path, const SeriesMeta& meta, MPI_Comm comm, WriteMode mode)
    : final_path_(path), meta_(meta), comm_(comm) {
  validate(meta_, path);
  require_output_file(path);
  // (an in-place series too is made under a temporary name: it appears at its final name
  // only once it is a complete, empty series, so a full disk leaves no unreadable file)
  atomic_ = std::make_unique<AtomicPath>(path, comm);
  file_ = h5::File::create(*atomic_, comm);
  const hsize_t nt = meta_.n_traj, nx = meta_.nx(), ny = meta_.ny(), nz = meta_.nz();
  file_.create_dataset("/velocity", {nt, 0, nx, ny, nz, 3}, meta_.dtype, {nt, H5S_UNLIMITED, nx, ny, nz, 3},
                       {1, 1, nx, ny, nz, 3});
  if (meta_.has_pressure)
    file_.create_dataset("/pressure", {nt, 0, nx, ny, nz}, meta_.dtype, {nt, H5S_UNLIMITED, nx, ny, nz},
                         {1, 1, nx, ny, nz});
  file_.create_dataset("/time", {0}, h5::DType::f64, {H5S_UNLIMITED}, {256});
  file_.create_group("/grid");
  file_.write_vector("/grid/x", meta_.x);
  file_.write_vector("/grid/y", meta_.y);
  file_.write_vector("/grid/z", meta_.z);
  write_attrs(file_, meta_);
  file_.flush();
  if (mode == WriteMode::in_place) {
    MPI_Barrier(comm_);
    run_agreed(comm_, [&] { atomic_->commit(); });  // the open file goes on under its final name
    atomic_.reset();
    file_.set_disk_path(path);
  }
}

SeriesWriter SeriesWriter::reopen(const std::string& path, MPI_Comm comm) {
  SeriesWriter w;
  w.final_path_ = path;
  w.comm_ = comm;
  w.file_ = h5::File::open(path, true, comm);
  w.meta_ = read_meta(w.file_, &w.n_time_);
  return w;
}

SeriesWriter SeriesWriter::resume(const std::string& path, int n_time, const std::vector<std::string>& records,
                                  MPI_Comm comm) {
  const bool root = comm_rank(comm) == 0;
  int marked = root && fs::exists(series_writing_mark(path)) ? 1 : 0;
  MPI_Bcast(&marked, 1, MPI_INT, 0, comm);
  if (!marked) return reopen(path, comm);
  log::warn("{} was being written when its run stopped: its {} complete snapshots are copied into a fresh file",
            path, n_time);
  // every rank reads the metadata and the small records itself; rank 0 alone the snapshots
  // (one trajectory's at a time, below)
  SeriesMeta m;
  std::vector<double> times, wall;
  std::vector<std::pair<std::string, std::vector<double>>> kept;
  h5::File old;
  // a read that fails on any rank ends every rank with one error naming the file
  auto agreed_read = [&](const std::function<void()>& read) {
    run_agreed(comm, [&] {
      try {
        read();
      } catch (const std::exception& e) {
        throw InputError("cannot continue " + path + ": " + e.what());
      }
    });
  };
  agreed_read([&] {
    int stored = 0;
    old = h5::File::open(path, false, MPI_COMM_SELF);
    m = read_meta(old, &stored);
    IFF_REQUIRE(n_time >= 0 && n_time <= stored, "series " << path << " holds " << stored << " snapshots, "
                                                            << n_time << " are to be kept");
    times = old.read_vector("/time");
    times.resize(std::size_t(n_time));
    validate_geometry(m, times, path);
    if (m.wall && old.exists("/wall/u_tau")) {
      std::vector<hsize_t> sh;
      const auto rec = old.read_vector("/wall/u_tau", &sh);
      wall.assign(std::size_t(m.n_traj) * n_time, std::numeric_limits<double>::quiet_NaN());
      for (int i = 0; i < m.n_traj; ++i)
        for (hsize_t j = 0; j < std::min<hsize_t>(sh[1], hsize_t(n_time)); ++j)
          wall[std::size_t(i) * n_time + j] = rec[i * sh[1] + j];
    }
    for (const auto& r : records)
      if (old.exists(r)) kept.emplace_back(r, old.read_vector(r));
  });
  SeriesWriter w(path, m, comm, WriteMode::atomic);
  const SeriesBlock none{};
  std::vector<double> snap(root ? m.snapshot_size() : 0), pres(root && m.has_pressure ? m.snapshot_size() / 3 : 0);
  for (int ti = 0; ti < n_time; ++ti)
    for (int traj = 0; traj < m.n_traj; ++traj) {
      const SeriesBlock b = root ? SeriesBlock{traj, 1, 0, m.nx()} : none;
      agreed_read([&] {
        if (!root) return;
        const hsize_t nx = m.nx(), ny = m.ny(), nz = m.nz();
        old.read_slab("/velocity", {hsize_t(traj), hsize_t(ti), 0, 0, 0, 0}, {1, 1, nx, ny, nz, 3}, snap.data());
        if (m.has_pressure)
          old.read_slab("/pressure", {hsize_t(traj), hsize_t(ti), 0, 0, 0}, {1, 1, nx, ny, nz}, pres.data());
      });
      w.write_times(ti, {root ? times[ti] : 0.0}, b, snap.data(), m.has_pressure ? pres.data() : nullptr);
    }
  if (m.wall && n_time > 0) {
    const SeriesBlock all = root ? SeriesBlock{0, m.n_traj, 0, m.nx()} : none;
    w.write_wall_units(0, n_time, all, wall.data());
  }
  for (const auto& [name, values] : kept) w.write_record(name, values);
  old = h5::File();
  w.close();  // replaces the damaged file
  if (root) std::remove(series_writing_mark(path).c_str());
  return reopen(path, comm);
}

SeriesWriter::SeriesWriter(SeriesWriter&&) noexcept = default;
SeriesWriter& SeriesWriter::operator=(SeriesWriter&&) noexcept = default;

// file_ closes (unchecked), then atomic_ (if not committed) removes the temporary file
SeriesWriter::~SeriesWriter() = default;

void SeriesWriter::write(int time_index, double time, const SeriesBlock& b, const double* velocity,
                         const double* pressure) {
  write_times(time_index, {time}, b, velocity, pressure);
}

void SeriesWriter::write_times(int first_time_index, const std::vector<double>& times, const SeriesBlock& b,
                               const double* velocity, const double* pressure) {
  IFF_CHECK(first_time_index >= 0, "negative time index " << first_time_index);
  IFF_CHECK(b.empty() || (b.traj0 >= 0 && b.traj0 + b.n_traj <= meta_.n_traj && b.x0 >= 0 &&
                          b.x0 + b.nx <= meta_.nx()),
            "block trajectories [" << b.traj0 << ", " << b.traj0 + b.n_traj << ") x planes [" << b.x0 << ", "
                                   << b.x0 + b.nx << ") outside the series");
  const hsize_t count = times.size();
  if (count == 0) return;
  const hsize_t nt = meta_.n_traj, nx = meta_.nx(), ny = meta_.ny(), nz = meta_.nz();
  const int end = first_time_index + static_cast<int>(count);
  changing();
  if (end > n_time_) {
    n_time_ = end;
    const hsize_t t = n_time_;
    file_.extend("/velocity", {nt, t, nx, ny, nz, 3});
    if (meta_.has_pressure) file_.extend("/pressure", {nt, t, nx, ny, nz});
    file_.extend("/time", {t});
  }
  const hsize_t t0 = first_time_index;
  const bool root = comm_rank(comm_) == 0;
  file_.write_slab("/time", {t0}, {root ? count : hsize_t{0}}, times.data());
  const hsize_t bt = b.empty() ? 0 : b.n_traj, bx = b.empty() ? 0 : b.nx, ct = bt ? count : hsize_t{0};
  file_.write_slab("/velocity", {hsize_t(b.traj0), t0, hsize_t(b.x0), 0, 0, 0}, {bt, ct, bx, ny, nz, 3}, velocity);
  if (meta_.has_pressure) {
    IFF_CHECK(pressure || b.empty(), "series " << final_path_ << " stores pressure but none was given");
    file_.write_slab("/pressure", {hsize_t(b.traj0), t0, hsize_t(b.x0), 0, 0}, {bt, ct, bx, ny, nz}, pressure);
  }
  file_.flush();
  flushed();
}

void SeriesWriter::append(double time, const SeriesBlock& block, const double* velocity, const double* pressure) {
  write(n_time_, time, block, velocity, pressure);
}

void SeriesWriter::close() {
  changing();
  file_.close();  // checked on every rank: a failed close throws before the rename
  flushed();
  if (atomic_) {
    MPI_Barrier(comm_);
    atomic_->commit();
    MPI_Barrier(comm_);
    atomic_.reset();
  }
  // ParaView's view of the completed series (io/xdmf.hpp), written by one rank; a series
  // written under a hidden work name gets its XDMF file from whoever gives it its final name
  if (std::filesystem::path(final_path_).filename().string().rfind('.', 0) == 0) return;
  const bool root = comm_rank(comm_) == 0;
  run_agreed(comm_, [&] {
    if (root) write_series_xdmf(meta_, final_path_, xdmf_path_for(final_path_));
  });
}

void SeriesWriter::write_record(const std::string& dataset, const std::vector<double>& values) {
  changing();
  if (!file_.exists(dataset)) {
    file_.write_vector(dataset, values);
  } else {
    const bool root = comm_rank(comm_) == 0;
    file_.write_slab(dataset, {0}, {root ? hsize_t(values.size()) : hsize_t{0}}, values.data());
  }
  file_.flush();
  flushed();
}

std::string series_writing_mark(const std::string& path) {
  const fs::path p(path);
  return (p.parent_path() / ("." + p.filename().string() + ".writing")).string();
}

void SeriesWriter::changing() {
  if (atomic_ || marked_) return;
  run_agreed(comm_, [&] {  // (rank 0's write: its failure ends every rank)
    if (comm_rank(comm_) == 0)
      write_text_atomic(series_writing_mark(final_path_),
                        fmt::format("{} is being changed (pid {}); a run resuming it copies its complete snapshots\n",
                                    final_path_, long(::getpid())));
  });
  marked_ = true;
}

void SeriesWriter::flushed() {
  if (!marked_) return;
  if (comm_rank(comm_) == 0) std::remove(series_writing_mark(final_path_).c_str());
  marked_ = false;
}

void SeriesWriter::write_wall_units(int first_time_index, int n_times, const SeriesBlock& b, const double* u_tau) {
  IFF_CHECK(meta_.wall, "series " << final_path_ << " was created without wall-unit records");
  changing();
  iff::write_wall_units(file_, first_time_index, n_times, b.traj0, b.empty() ? 0 : b.n_traj, u_tau);
  flushed();  // (it flushes)
}

std::string grid_name(int nx, int ny, int nz) { return fmt::format("{}x{}x{}", nx, ny, nz); }

void write_wall_units(h5::File& f, int first_time_index, int n_times, int traj0, int n_traj, const double* u_tau) {
  IFF_CHECK(f.exists("/wall/u_tau"), "series " << f.path() << " has no /wall/u_tau");
  IFF_CHECK(first_time_index >= 0 && n_times >= 0,
            "wall units: bad time range " << first_time_index << " + " << n_times);
  const auto shape = f.shape("/wall/u_tau");
  const hsize_t nt = shape[0];
  IFF_CHECK(n_traj == 0 || (traj0 >= 0 && hsize_t(traj0 + n_traj) <= nt),
            "wall units: trajectories [" << traj0 << ", " << traj0 + n_traj << ") outside the series");
  const bool root = comm_rank(f.comm()) == 0;
  // the length every rank agrees on; new columns start as "no record"
  int end = n_traj > 0 ? first_time_index + n_times : 0;
  MPI_Allreduce(MPI_IN_PLACE, &end, 1, MPI_INT, MPI_MAX, f.comm());
  const hsize_t old_len = shape[1];
  if (hsize_t(end) > old_len) {
    f.extend("/wall/u_tau", {nt, hsize_t(end)});
    const hsize_t grow = hsize_t(end) - old_len;
    const std::vector<double> none(root ? nt * grow : 0, std::numeric_limits<double>::quiet_NaN());
    f.write_slab("/wall/u_tau", {0, old_len}, {root ? nt : 0, root ? grow : 0}, none.data());
  }
  const bool mine = n_traj > 0 && n_times > 0;
  f.write_slab("/wall/u_tau", {hsize_t(mine ? traj0 : 0), hsize_t(mine ? first_time_index : 0)},
               {hsize_t(mine ? n_traj : 0), hsize_t(mine ? n_times : 0)}, u_tau);
  // summary over every record in the file (small: n_traj x n_time values), read back after
  // the writes are on disk for every rank
  f.flush();
  MPI_Barrier(f.comm());
  std::vector<hsize_t> ws;
  const auto all = f.read_vector("/wall/u_tau", &ws);
  const auto times = f.exists("/time") ? f.read_vector("/time") : std::vector<double>{};
  const hsize_t len = ws[1];
  double tau = 0.0, t_first = 0.0, t_last = 0.0;
  long count = 0;
  for (hsize_t j = 0; j < len; ++j)
    for (hsize_t i = 0; i < nt; ++i) {
      const double u = all[i * len + j];
      if (!std::isfinite(u)) continue;
      tau += u * u;
      const double t = j < times.size() ? times[j] : 0.0;
      t_first = count == 0 ? t : std::min(t_first, t);
      t_last = count == 0 ? t : std::max(t_last, t);
      ++count;
    }
  const double mean = count > 0 ? std::sqrt(tau / count) : 0.0;
  const double nu = f.has_attr("/", "nu") ? f.attr_double("/", "nu") : 0.0;
  f.set_attr("/", "wall_snapshots", std::int64_t(count));
  f.set_attr("/", "wall_u_tau", mean);
  f.set_attr("/", "wall_re_tau", nu > 0 ? mean / nu : 0.0);
  f.set_attr("/", "wall_window", std::vector<double>{t_first, t_last});
  f.flush();
}

// ---------------------------------------------------------------------------------------

SeriesReader::SeriesReader(const std::string& path, MPI_Comm comm) : path_(path) {
  file_ = h5::File::open(path, false, comm);
  meta_ = read_meta(file_, &n_time_);
  IFF_REQUIRE(file_.exists("/time"), "series " << path << " has no /time dataset");
  times_ = file_.read_vector("/time");
  IFF_REQUIRE(static_cast<int>(times_.size()) == n_time_,
              "series " << path << ": /time has " << times_.size() << " entries for " << n_time_ << " snapshots");
  validate_geometry(meta_, times_, path);
}

void SeriesReader::read(int time_index, const SeriesBlock& b, double* velocity, double* pressure) const {
  IFF_REQUIRE(time_index >= 0 && time_index < n_time_,
              "series " << path_ << ": time index " << time_index << " outside [0, " << n_time_ << ")");
  IFF_REQUIRE(b.empty() || (b.traj0 >= 0 && b.traj0 + b.n_traj <= meta_.n_traj && b.x0 >= 0 &&
                            b.x0 + b.nx <= meta_.nx()),
              "series " << path_ << ": trajectories [" << b.traj0 << ", " << b.traj0 + b.n_traj
                        << ") or x planes outside the series");
  const hsize_t ny = meta_.ny(), nz = meta_.nz();
  const hsize_t bt = b.empty() ? 0 : b.n_traj, bx = b.empty() ? 0 : b.nx;
  const hsize_t ti = time_index;
  file_.read_slab("/velocity", {hsize_t(b.traj0), ti, hsize_t(b.x0), 0, 0, 0},
                  {bt, bt ? hsize_t{1} : hsize_t{0}, bx, ny, nz, 3}, velocity);
  if (pressure) {
    IFF_REQUIRE(meta_.has_pressure, "series " << path_ << " has no /pressure");
    file_.read_slab("/pressure", {hsize_t(b.traj0), ti, hsize_t(b.x0), 0, 0},
                    {bt, bt ? hsize_t{1} : hsize_t{0}, bx, ny, nz}, pressure);
  }
  // every value that leaves the reader is finite
  const std::size_t per_traj = static_cast<std::size_t>(bx) * ny * nz;
  for (hsize_t q = 0; q < bt; ++q) {
    const SnapshotOrigin at{path_, b.traj0 + static_cast<int>(q), time_index, times_[time_index]};
    require_finite(velocity + q * per_traj * 3, int(bx), int(ny), int(nz), "uvw", at, b.x0);
    if (pressure) require_finite(pressure + q * per_traj, int(bx), int(ny), int(nz), "p", at, b.x0);
  }
}

std::vector<double> SeriesReader::read_velocity(int traj, int time_index) const {
  std::vector<double> v(meta_.snapshot_size());
  read(time_index, SeriesBlock{traj, 1, 0, meta_.nx()}, v.data());
  return v;
}

std::vector<double> SeriesReader::wall_u_tau() const {
  if (!meta_.wall) return {};
  std::vector<hsize_t> s;
  const auto rec = file_.read_vector("/wall/u_tau", &s);
  // records may stop short of the last snapshot (a run stopped between the two writes)
  std::vector<double> out(std::size_t(meta_.n_traj) * n_time_, std::numeric_limits<double>::quiet_NaN());
  const std::size_t len = s[1];
  for (int i = 0; i < meta_.n_traj; ++i)
    for (std::size_t j = 0; j < std::min<std::size_t>(len, n_time_); ++j)
      out[i * std::size_t(n_time_) + j] = rec[i * len + j];
  return out;
}

}  // namespace iff
