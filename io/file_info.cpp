#include "io/file_info.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "io/error.hpp"
#include "io/h5.hpp"
#include "io/run_cost.hpp"
#include "io/series.hpp"

namespace iff {

namespace {

constexpr const char* kSolverCheckpointFormat = "ifactflow-dns-checkpoint";

std::string describe_series(const std::string& path, int max_samples) {
  SeriesReader r(path);
  const auto& m = r.meta();
  std::ostringstream s;
  auto axis = [](const std::vector<double>& v) {
    return fmt::format("{} points, [{:.6g}, {:.6g}]", v.size(), v.front(), v.back());
  };
  s << "file        : " << path << "\n";
  s << "format      : " << (r.file().has_attr("/", "format") ? r.file().attr_string("/", "format") : "(none)")
    << (r.file().has_attr("/", "format_version") ? fmt::format(" v{}", r.file().attr_int("/", "format_version")) : "")
    << "\n";
  s << "kind        : " << m.kind << "\n";
  s << "velocity    : [" << m.n_traj << ", " << r.n_time() << ", " << m.nx() << ", " << m.ny() << ", " << m.nz()
    << ", 3] " << h5::to_string(m.dtype) << "\n";
  s << "pressure    : " << (m.has_pressure ? "yes" : "no") << "\n";
  s << "grid x      : " << axis(m.x) << "\n";
  s << "grid y      : " << axis(m.y) << "\n";
  s << "grid z      : " << axis(m.z) << "\n";
  s << fmt::format("box         : {:.6g} x {:.6g} x {:.6g}\n", m.lx, m.ly, m.lz);
  if (r.n_time() > 0)
    s << fmt::format("time        : {} snapshots, t = {:.6g} .. {:.6g}{}\n", r.n_time(), r.times().front(),
                     r.times().back(),
                     r.n_time() > 1 ? fmt::format(", interval {:.6g}", (r.times().back() - r.times().front()) /
                                                                             (r.n_time() - 1))
                                    : "");
  else
    s << "time        : no snapshots\n";
  s << fmt::format("re_tau, nu  : {:.6g}, {:.6g}\n", m.re_tau, m.nu);
  s << "units       : " << m.units << "\n";
  if (m.wall)
    s << fmt::format("wall units  : u_tau = {:.6g}, Re_tau = {:.6g}: records of {} snapshots, t = {:.6g} .. {:.6g}, "
                     "measured by the {} run at {} ({} driving)\n",
                     m.wall->u_tau, m.nu > 0 ? m.wall->u_tau / m.nu : 0.0, m.wall->snapshots, m.wall->t_first,
                     m.wall->t_last, m.wall->measured_by, m.wall->grid, m.wall->driving);
  else
    s << "wall units  : no records (statistics measure the wall shear of this series)\n";
  if (!m.filter.empty()) s << "filter      : " << m.filter << "\n";
  if (!m.model.empty()) s << "model       : " << m.model << "\n";
  s << "git_commit  : " << m.git_commit << "\n";
  s << "config      : " << (m.config.empty() ? "(none)" : fmt::format("{} lines (attribute 'config')",
                                                                       std::count(m.config.begin(), m.config.end(), '\n')))
    << "\n";

  // per-component mean and std over a sample of snapshots spread over trajectories and time
  const long total = static_cast<long>(m.n_traj) * r.n_time();
  if (total > 0) {
    const int n = static_cast<int>(std::min<long>(max_samples, total));
    const int comps = m.has_pressure ? 4 : 3;
    std::vector<double> sum(comps, 0.0), sum2(comps, 0.0);
    long count = 0;
    const std::size_t points = m.snapshot_size() / 3;
    std::vector<double> v(points * 3), p(points);
    for (int i = 0; i < n; ++i) {
      const long idx = n == 1 ? 0 : static_cast<long>(std::llround(double(i) * (total - 1) / (n - 1)));
      const int traj = static_cast<int>(idx / r.n_time()), t = static_cast<int>(idx % r.n_time());
      r.read(t, SeriesBlock{traj, 1, 0, m.nx()}, v.data(), m.has_pressure ? p.data() : nullptr);
      for (std::size_t q = 0; q < points; ++q) {
        for (int c = 0; c < 3; ++c) {
          sum[c] += v[3 * q + c];
          sum2[c] += v[3 * q + c] * v[3 * q + c];
        }
        if (m.has_pressure) {
          sum[3] += p[q];
          sum2[3] += p[q] * p[q];
        }
      }
      count += points;
    }
    static const char* names[] = {"u", "v", "w", "p"};
    s << fmt::format("sample      : {} snapshot(s)\n", n);
    for (int c = 0; c < comps; ++c) {
      const double mean = sum[c] / count;
      const double var = std::max(0.0, sum2[c] / count - mean * mean);
      s << fmt::format("  {}         : mean {: .6e}  std {: .6e}\n", names[c], mean, std::sqrt(var));
    }
  }
  return s.str();
}


std::string describe_solver_checkpoint(const std::string& path) {
  const auto f = h5::File::open(path);
  std::ostringstream s;
  const auto g = f.attr_vector("/", "grid");  // nx, ny, nz, lx, lz
  const std::string sgs = f.has_attr("/", "sgs_model") ? f.attr_string("/", "sgs_model") : "none";
  s << "file        : " << path << "\n";
  s << "kind        : " << (sgs == "none" ? "DNS" : "LES (" + sgs + ")") << " restart checkpoint (initial.type: restart)\n";
  if (g.size() == 5)
    s << fmt::format("grid        : {}x{}x{} modes, box {:.6g} x 2 x {:.6g}\n", g[0], g[1], g[2], g[3], g[4]);
  s << fmt::format("time, step  : t = {:.10g}, step {}\n", f.attr_double("/", "time"), f.attr_int("/", "step"));
  s << fmt::format("dt          : {:.6g}\n", f.attr_double("/", "dt"));
  s << fmt::format("history     : {} states, {} explicit terms (SBDF order {})\n", f.attr_int("/", "n_states"),
                   f.attr_int("/", "n_explicit"), f.attr_int("/", "n_states"));
  s << fmt::format("nu, forcing : {:.6g}, {:.10g}\n", f.attr_double("/", "nu"), f.attr_double("/", "forcing"));
  const std::string config = f.has_attr("/", "config") ? f.attr_string("/", "config") : "";
  s << "config      : " << (config.empty() ? "(none)" : fmt::format("{} lines (attribute 'config')",
                                                                       std::count(config.begin(), config.end(), '\n')))
    << "\n";
  return s.str();
}

std::string describe_statistics(const std::string& path) {
  const auto f = h5::File::open(path);
  std::ostringstream s;
  const auto y = f.read_vector("/y");
  s << "file        : " << path << "\n";
  s << "kind        : statistics (profiles" << (f.exists("/spectra_kx") ? " and spectra" : "") << ")\n";
  s << fmt::format("samples     : {}\n", f.has_attr("/", "samples") ? f.attr_int("/", "samples") : 0);
  s << fmt::format("y           : {} points, [{:.6g}, {:.6g}]\n", y.size(), y.front(), y.back());
  if (f.has_attr("/", "lx")) s << fmt::format("box         : {:.6g} x 2 x {:.6g}\n", f.attr_double("/", "lx"), f.attr_double("/", "lz"));
  if (f.has_attr("/", "u_tau"))
    s << fmt::format("wall units  : u_tau = {:.6g}, Re_tau = {:.6g} ({})\n", f.attr_double("/", "u_tau"),
                     f.attr_double("/", "re_tau"),
                     f.has_attr("/", "wall_units_source") ? f.attr_string("/", "wall_units_source") : "source unknown");
  if (f.exists("/spectra_y")) {
    const auto sy = f.read_vector("/spectra_y");
    std::string at;
    for (double v : sy) at += fmt::format("{}{:.4g}", at.empty() ? "" : ", ", v);
    s << "spectra at  : y = " << at << "\n";
  }
  std::string datasets;
  for (const char* d : {"/mean_u", "/mean_w", "/rms_u", "/rms_v", "/rms_w", "/minus_uv", "/nu_t", "/eps_sgs", "/c_sgs"})
    if (f.exists(d)) datasets += std::string(datasets.empty() ? "" : ", ") + (d + 1);
  s << "profiles    : " << datasets << "\n";
  return s.str();
}

std::string describe_cost(const std::string& path) {
  const RunCost c = read_run_cost(path);
  std::ostringstream s;
  s << "file        : " << path << "\n";
  s << "kind        : cost record of `ifactflow " << c.command << "` (" << c.model << ")\n";
  s << fmt::format("layout      : {} ranks x {} threads\n", c.ranks, c.threads_per_rank);
  s << fmt::format("steps       : {} for {:.6g} units of simulated time\n", c.steps, c.simulated_time);
  s << fmt::format("wall-clock  : {:.6g} s ({:.6g} s per unit time, {:.6g} steps/s)\n", c.wall_seconds,
                   c.wall_per_unit_time(), c.steps_per_second());
  auto phase = [&](const char* name, const std::optional<double>& v) {
    if (v) s << fmt::format("  {:<10}: {:.6g} s ({:.1f}%)\n", name, *v, 100 * *v / std::max(c.wall_seconds, 1e-300));
  };
  phase("step", c.step_seconds);
  phase("output", c.output_seconds);
  phase("analysis", c.analysis_seconds);
  return s.str();
}

}  // namespace

FileKind file_kind(const std::string& path) {
  if (h5::File::is_hdf5(path)) {
    const auto f = h5::File::open(path);
    if (f.exists("/velocity")) return FileKind::series;
    if (f.has_attr("/", "format") && f.attr_string("/", "format") == kSolverCheckpointFormat)
      return FileKind::solver_checkpoint;
    if (f.exists("/y") && f.exists("/mean_u")) return FileKind::statistics;
    return FileKind::unknown;
  }
  std::ifstream in(path);
  std::string header;
  if (in && std::getline(in, header) && header.rfind("command,model,ranks,", 0) == 0) return FileKind::cost_record;
  return FileKind::unknown;
}

std::string describe_file(const std::string& path, int samples) {
  IFF_CHECK_AS(InputError, std::ifstream(path).good(), "file " << path << " does not exist or cannot be read");
  switch (file_kind(path)) {
    case FileKind::series: return describe_series(path, samples);
    case FileKind::solver_checkpoint: return describe_solver_checkpoint(path);
    case FileKind::statistics: return describe_statistics(path);
    case FileKind::cost_record: return describe_cost(path);
    case FileKind::unknown: break;
  }
  IFF_CHECK_AS(InputError, !h5::File::is_hdf5(path),
               "file " << path << " has no /velocity: not a series, nor a DNS/LES checkpoint or statistics file");
  IFF_CHECK_AS(InputError, false,
               "file " << path << " is not an HDF5 file, nor a cost record (info describes series, DNS/LES and "
                       << "operator checkpoints, statistics files and cost records)");
  return {};
}

}  // namespace iff
