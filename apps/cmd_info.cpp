// ifactflow info FILE: what a series file (or, with libtorch, an operator checkpoint) holds.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "apps/commands.hpp"
#include "io/error.hpp"
#include "io/series.hpp"
#ifdef IFF_HAVE_CHECKPOINT_INFO
#include "operators/checkpoint_info.hpp"
#endif

namespace iff::app {

namespace {

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

}  // namespace

void add_info(CLI::App& app, Context& ctx) {
  auto path = std::make_shared<std::string>();
  auto samples = std::make_shared<int>(8);
  auto* sub = app.add_subcommand("info", "Describe a series file or an operator checkpoint");
  sub->add_option("file", *path, "series (.h5) or checkpoint")->required();
  sub->add_option("--samples", *samples, "snapshots sampled for mean/std")->check(CLI::PositiveNumber)->capture_default_str();
  sub->callback([path, samples, &ctx] {
    std::string text;
#ifdef IFF_HAVE_CHECKPOINT_INFO
    if (is_checkpoint(*path)) text = describe_checkpoint(*path);
#endif
    if (text.empty()) {
      IFF_REQUIRE(h5::File::is_hdf5(*path) || !std::ifstream(*path).good(),
                  "file " << *path << " is not an HDF5 file (neither a series nor a checkpoint)");
      text = describe_series(*path, *samples);
    }
    if (ctx.rank == 0) std::cout << text << std::flush;
  });
}

}  // namespace iff::app
