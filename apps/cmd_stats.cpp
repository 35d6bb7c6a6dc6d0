// ifactflow stats SERIES.h5 -o DIR: mean and rms profiles, Reynolds shear stress and 1-D
// spectra of any series (DNS, filtered DNS, LES, prediction) with the same code the DNS
// uses (analysis::ChannelStatistics), plus a per-snapshot kinetic-energy table.
//
// Wall units (analysis/wall_units.hpp): --re-tau, else the series' records of the run that
// made its snapshots (averaged over the snapshots used), else the series' own mean wall
// shear; wall_units.txt, stats.h5 and the log line say which.
#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "apps/commands.hpp"
#include "analysis/field_measures.hpp"
#include "io/agreed.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/log.hpp"
#include "io/run_lock.hpp"
#include "io/series.hpp"
#include "analysis/channel_statistics.hpp"
#include "analysis/wall_units.hpp"

namespace iff::app {

void series_statistics(const SeriesStatsOptions& o, const Context& ctx) {
  SeriesReader r(o.input);
  const auto& m = r.meta();
  IFF_REQUIRE(o.start >= 0 && o.start < std::max(r.n_time(), 1),
              "--start " << o.start << " outside the series' " << r.n_time() << " snapshots");
  IFF_REQUIRE(o.every >= 1, "--every must be positive");
  IFF_REQUIRE(o.traj >= -1 && o.traj < m.n_traj, "--traj " << o.traj << " outside [0, " << m.n_traj << ")");
  IFF_REQUIRE(r.n_time() > 0, "series " << o.input << " holds no snapshot");
  ensure_directory(o.output);
  if (ctx.rank != 0) return;  // the statistics of one series are cheap: rank 0 does them

  const int t0 = o.traj < 0 ? 0 : o.traj, t1 = o.traj < 0 ? m.n_traj : o.traj + 1;
  // first pass: the mean profile gives u_tau when the series records none
  const int ny = m.ny();
  const double lx = m.box_lx();
  const double lz = m.box_lz();
  analysis::ChannelStatistics mean_only(m.nx(), ny, m.nz(), lx, lz, m.y);
  std::ostringstream ts;
  ts.precision(17);
  ts << "time_index,t,kinetic_energy,u_centre\n";
  const analysis::FieldMeasures measures(m);
  for (int ti = o.start; ti < r.n_time(); ti += o.every) {
    double ke = 0;
    double uc = 0;
    for (int tr = t0; tr < t1; ++tr) {
      auto v = r.read_velocity(tr, ti);
      for (double x : v)
        IFF_CHECK_AS(NumericalError, std::isfinite(x),
                     "series " << o.input << ": non-finite value in trajectory " << tr << ", time index " << ti);
      mean_only.add(v.data());
      ke += measures.kinetic_energy(v.data());
      uc += measures.centre_u(v.data());
    }
    ts << ti << "," << r.times()[ti] << "," << ke / (t1 - t0) << "," << uc / (t1 - t0) << "\n";
  }

  analysis::SnapshotList used;
  for (int tr = t0; tr < t1; ++tr)
    for (int ti = o.start; ti < r.n_time(); ti += o.every) used.push_back({tr, ti});
  auto evidence = analysis::series_wall_units_evidence(r, used, o.re_tau);
  evidence.measured_u_tau = [&] { return analysis::wall_friction_velocity(m.y, mean_only.mean(0), m.nu); };
  const analysis::WallUnits wall = analysis::resolve_wall_units(evidence);
  const double u_tau = wall.u_tau, re_tau = wall.re_tau;
  const std::vector<int> sj =
      re_tau > 0 ? analysis::nearest_y_plus_indices(m.y, o.spectra_y_plus, re_tau) : std::vector<int>{ny / 4, ny / 2};

  // second pass with the spectra locations
  analysis::ChannelStatistics stats(m.nx(), ny, m.nz(), lx, lz, m.y, sj);
  for (int ti = o.start; ti < r.n_time(); ti += o.every)
    for (int tr = t0; tr < t1; ++tr) stats.add(r.read_velocity(tr, ti).data());
  stats.write_csv(o.output, re_tau, u_tau);
  stats.write_h5(o.output + "/stats.h5", &wall);
  write_text_atomic(o.output + "/timeseries.csv", ts.str());
  write_text_atomic(o.output + "/wall_units.txt", analysis::wall_units_text(wall, stats.samples(), o.input));
  log::info("stats: {} samples of {}; tables in {}", stats.samples(), o.input, o.output);
  log::info("stats: wall units u_tau = {:.6g}, Re_tau = {:.6g} from {}", u_tau, re_tau, wall.description);
}

void add_stats(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<SeriesStatsOptions>();
  auto* sub = app.add_subcommand("stats", "Statistics and spectra of any series (profiles, spectra, kinetic energy)");
  sub->add_option("series", o->input, "series file (.h5)")->required();
  sub->add_option("-o,--output", o->output, "output directory")->required();
  sub->add_option("--start", o->start, "first time index")->capture_default_str();
  sub->add_option("--every", o->every, "stride in time index")->capture_default_str();
  sub->add_option("--traj", o->traj, "one trajectory (default: all)");
  sub->add_option("--re-tau", o->re_tau,
                  "override Re_tau of the wall units, u_tau = Re_tau nu (default: the series' wall-unit records, "
                  "else its own wall shear)");
  sub->add_option("--spectra-y-plus", o->spectra_y_plus, "y+ of the spectra")->delimiter(',');
  sub->callback([o, &ctx] {
    FolderLock lock(o->output, ctx.command_line, ctx.comm);
    run_agreed(ctx.comm, [&] { series_statistics(*o, ctx); });  // rank 0's outcome is every rank's
  });
}

}  // namespace iff::app
