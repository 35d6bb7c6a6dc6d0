// ifactflow stats SERIES.h5 -o DIR: mean and rms profiles, Reynolds shear stress and 1-D
// spectra of any series (DNS, filtered DNS, LES, prediction) with the same code the DNS
// uses (analysis::ChannelStatistics), plus a per-snapshot kinetic-energy table.
//
// Wall units (analysis/wall_units.hpp): --re-tau, else the series' records of the run that
// made its snapshots (averaged over the snapshots used), else the series' own mean wall
// shear; wall_units.txt, stats.h5 and the log line say which.
//
// Under mpirun every snapshot is split in x-slabs over the ranks: each reads its planes,
// and rank 0 joins the sums and writes the tables (analysis/channel_statistics.hpp).
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
#include "io/partition.hpp"
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

  // every snapshot split in x-slabs over the ranks: each reads its planes
  const auto [x0, x1] = share_range(m.nx(), ctx.rank, ctx.size);
  const int nx_local = static_cast<int>(x1 - x0);
  const MPI_Comm slabs = ctx.size > 1 ? ctx.comm : MPI_COMM_SELF;
  const int ny = m.ny();
  std::vector<double> v(std::size_t(nx_local) * ny * m.nz() * 3);
  auto read = [&](int tr, int ti) -> const double* {
    run_agreed(ctx.comm, [&] {  // a bad value on one rank's planes fails every rank
      r.read(ti, SeriesBlock{tr, 1, static_cast<int>(x0), nx_local}, v.data());
      for (double x : v)
        IFF_CHECK_AS(NumericalError, std::isfinite(x),
                     "series " << o.input << ": non-finite value in trajectory " << tr << ", time index " << ti);
    });
    return v.data();
  };

  const int t0 = o.traj < 0 ? 0 : o.traj, t1 = o.traj < 0 ? m.n_traj : o.traj + 1;
  // first pass: the mean profile gives u_tau when the series records none
  const double lx = m.box_lx();
  const double lz = m.box_lz();
  analysis::ChannelStatistics mean_only(m.nx(), ny, m.nz(), lx, lz, m.y);
  mean_only.set_slab(nx_local, slabs);
  std::ostringstream ts;
  ts.precision(17);
  ts << "time_index,t,kinetic_energy,u_centre\n";
  const analysis::FieldMeasures measures(m, nx_local, slabs);
  for (int ti = o.start; ti < r.n_time(); ti += o.every) {
    double ke = 0;
    double uc = 0;
    for (int tr = t0; tr < t1; ++tr) {
      const double* u = read(tr, ti);
      mean_only.add(u);
      ke += measures.kinetic_energy(u);
      uc += measures.centre_u(u);
    }
    ts << ti << "," << r.times()[ti] << "," << ke / (t1 - t0) << "," << uc / (t1 - t0) << "\n";
  }
  mean_only.reduce();

  // the wall units (rank 0 holds the mean profile), and from them the spectra planes
  analysis::WallUnits wall;
  run_agreed(ctx.comm, [&] {
    if (ctx.rank != 0) return;
    analysis::SnapshotList used;
    for (int tr = t0; tr < t1; ++tr)
      for (int ti = o.start; ti < r.n_time(); ti += o.every) used.push_back({tr, ti});
    auto evidence = analysis::series_wall_units_evidence(r, used, o.re_tau);
    evidence.measured_u_tau = [&] { return analysis::wall_friction_velocity(m.y, mean_only.mean(0), m.nu); };
    wall = analysis::resolve_wall_units(evidence);
  });
  double units[2] = {wall.u_tau, wall.re_tau};
  MPI_Bcast(units, 2, MPI_DOUBLE, 0, ctx.comm);
  const double u_tau = units[0], re_tau = units[1];
  const std::vector<int> sj =
      re_tau > 0 ? analysis::nearest_y_plus_indices(m.y, o.spectra_y_plus, re_tau) : std::vector<int>{ny / 4, ny / 2};

  // second pass with the spectra locations
  analysis::ChannelStatistics stats(m.nx(), ny, m.nz(), lx, lz, m.y, sj);
  stats.set_slab(nx_local, slabs);
  for (int ti = o.start; ti < r.n_time(); ti += o.every)
    for (int tr = t0; tr < t1; ++tr) stats.add(read(tr, ti));
  stats.reduce();
  run_agreed(ctx.comm, [&] {
    if (ctx.rank != 0) return;
    stats.write_csv(o.output, re_tau, u_tau);
    stats.write_h5(o.output + "/stats.h5", &wall);
    write_text_atomic(o.output + "/timeseries.csv", ts.str());
    write_text_atomic(o.output + "/wall_units.txt", analysis::wall_units_text(wall, stats.samples(), o.input));
  });
  log::info("stats: {} samples of {} (each split in x over {} rank(s)); tables in {}", stats.samples(), o.input,
            ctx.size, o.output);
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
    series_statistics(*o, ctx);  // collective; its failures are agreed
  });
}

}  // namespace iff::app
