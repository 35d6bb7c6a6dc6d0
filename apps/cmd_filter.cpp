// ifactflow filter SERIES.h5 --grid NXxNYxNZ -o OUT.h5: filtered DNS on a coarse grid
// (solvers/channel_filter.hpp). Snapshots are shared out round-robin over MPI ranks and
// written collectively; the filter is recorded in the output's `filter` attribute.
// Wall units (io/series.hpp): the input's own records are copied; an input without them
// (an older or imported series) gets them measured here on each fine snapshot before it is
// filtered, so that statistics of the output use the fine grid's wall shear.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "apps/commands.hpp"
#include "apps/version.hpp"
#include "io/agreed.hpp"
#include "io/config.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/log.hpp"
#include "io/series.hpp"
#include "solvers/channel_filter.hpp"
#include "analysis/wall_units.hpp"

namespace iff::app {

namespace {

struct FilterOptions {
  std::string input, output, grid, kind = "sharp", kind_out = "fdns";
  double width_ratio = 2.0;
};

void run_filter(const FilterOptions& o, const Context& ctx) {
  require_output_file(o.output);
  SeriesReader in(o.input);
  const auto& m = in.meta();
  const auto g = parse_grid_triplet(o.grid);
  solvers::FilterSpec s;
  s.nx = m.nx(), s.ny = m.ny(), s.nz = m.nz();
  s.NX = g[0], s.NY = g[1], s.NZ = g[2];
  s.lx = m.box_lx();
  s.lz = m.box_lz();
  s.kind = solvers::kFilterKindNames.parse_or_throw(o.kind, "filter");
  s.width_ratio = o.width_ratio;
  IFF_REQUIRE(on_gauss_lobatto_y(m.y),
              "series " << o.input << ": y is not on Gauss-Lobatto points (the y filter is a Chebyshev projection)");
  solvers::ChannelFilter filter(s);

  SeriesMeta out = m;
  out.kind = o.kind_out;
  out.x.resize(s.NX);
  out.z.resize(s.NZ);
  for (int i = 0; i < s.NX; ++i) out.x[i] = s.lx * i / s.NX;
  for (int k = 0; k < s.NZ; ++k) out.z[k] = s.lz * k / s.NZ;
  out.y = gauss_lobatto_y(s.NY);
  out.lx = s.lx, out.lz = s.lz;
  out.filter = s.describe();
  out.config = fmt::format("filter:\n  source: {}\n  grid: {}\n  kind: {}\n  width_ratio: {}\n{}", o.input, o.grid,
                           o.kind, o.width_ratio, m.config.empty() ? "" : "source_config: |\n  (see the source series)\n");
  out.git_commit = git_commit();
  // wall units: the input's records, else measured on the fine snapshots (needs nu)
  const std::vector<double> records = in.wall_u_tau();
  if (!m.wall && m.nu > 0) out.wall = SeriesWallUnits{m.kind, grid_name(m.nx(), m.ny(), m.nz()), "unknown"};
  if (!out.wall) log::warn("filter: {} has no viscosity (nu): the output records no wall units", o.input);
  SeriesWriter w(o.output, out, ctx.comm, WriteMode::atomic);

  const std::size_t fine_pts = m.snapshot_size() / 3, coarse_pts = out.snapshot_size() / 3;
  std::vector<double> v(fine_pts * 3), p(fine_pts), fv(coarse_pts * 3), fp(coarse_pts);
  const long total = static_cast<long>(m.n_traj) * in.n_time();
  const long rounds = (total + ctx.size - 1) / ctx.size;
  Progress progress("filter", total);  // snapshots of every rank
  for (long r = 0; r < rounds; ++r) {
    const long idx = r * ctx.size + ctx.rank;
    const bool mine = idx < total;
    const int traj = mine ? static_cast<int>(idx / in.n_time()) : 0, t = mine ? static_cast<int>(idx % in.n_time()) : 0;
    double u_tau = 0.0;
    run_agreed(ctx.comm, [&] {  // a bad snapshot on one rank stops every rank before the write
      if (!mine) return;
      in.read(t, SeriesBlock{traj, 1, 0, m.nx()}, v.data(), m.has_pressure ? p.data() : nullptr);
      if (out.wall)
        u_tau = m.wall ? records[std::size_t(traj) * in.n_time() + t]
                       : analysis::snapshot_friction_velocity(v.data(), m.nx(), m.y, m.nz(), m.nu);
      filter.apply(v.data(), fv.data(), 3);
      if (m.has_pressure) filter.apply(p.data(), fp.data(), 1);
    });
    // collective: ranks may hold different time indices, so each time index of this round
    // is written in turn (a rank with another index passes an empty block)
    std::vector<int> tis(ctx.size);
    const int my_t = mine ? t : -1;
    MPI_Allgather(&my_t, 1, MPI_INT, tis.data(), 1, MPI_INT, ctx.comm);
    std::vector<int> distinct;
    for (int x : tis)
      if (x >= 0 && std::find(distinct.begin(), distinct.end(), x) == distinct.end()) distinct.push_back(x);
    for (int ti : distinct) {
      const bool write = mine && ti == t;
      w.write(ti, in.times()[ti], write ? SeriesBlock{traj, 1, 0, s.NX} : SeriesBlock{}, fv.data(),
              m.has_pressure ? fp.data() : nullptr);
      if (out.wall) w.write_wall_units(ti, 1, write ? SeriesBlock{traj, 1, 0, s.NX} : SeriesBlock{}, &u_tau);
    }
    progress.update(std::min(total, (r + 1) * ctx.size));
  }
  w.close();
  log::info("filter: {} -> {} ({}x{}x{} -> {}x{}x{}, {} snapshots; {})", o.input, o.output, m.nx(), m.ny(), m.nz(),
            s.NX, s.NY, s.NZ, total, s.describe());
  if (out.wall)
    log::info("filter: wall units {} of the {} at {}", m.wall ? "copied from the records" : "measured on the snapshots",
              m.wall ? m.wall->measured_by : m.kind, out.wall->grid);
}

}  // namespace

void add_filter(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<FilterOptions>();
  auto* sub = app.add_subcommand("filter", "Filter a series onto a coarse grid (filtered DNS)");
  sub->add_option("series", o->input, "input series (.h5)")->required();
  sub->add_option("--grid", o->grid, "coarse grid NXxNYxNZ (e.g. 32x33x16)")->required();
  sub->add_option("-o,--output", o->output, "output series (.h5)")->required();
  sub->add_option("--filter", o->kind, "x-z filter: sharp (default), box or gaussian")
      ->check(CLI::IsMember(solvers::kFilterKindNames.spellings()))
      ->capture_default_str();
  sub->add_option("--width-ratio", o->width_ratio, "box/gaussian width over the coarse spacing")->capture_default_str();
  sub->add_option("--kind", o->kind_out, "kind of the output series")->capture_default_str();
  sub->callback([o, &ctx] { run_filter(*o, ctx); });
}

}  // namespace iff::app
