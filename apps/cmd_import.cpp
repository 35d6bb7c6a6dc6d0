// ifactflow import DATA.npy -o OUT.h5: converts a (n_traj, n_time, nx, ny, nz, c) .npy
// array (c = 3: u, v, w; c = 4: u, v, w, p) into the data contract, one snapshot at a time.
// Under mpirun the trajectories are shared out round-robin and written collectively.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>

#include "apps/commands.hpp"
#include "apps/version.hpp"
#include "io/agreed.hpp"
#include "io/error.hpp"
#include "io/finite.hpp"
#include "io/fsutil.hpp"
#include "io/log.hpp"
#include "io/npy.hpp"
#include "io/series.hpp"

namespace iff::app {

namespace {

struct ImportOptions {
  std::string input, output, y_coords, kind = "fdns", dtype = "auto", units = "h, u_tau";
  double lx = 4 * M_PI, ly = 2.0, lz = 4 * M_PI / 3, re_tau = 180.0, nu = 0.0, dt = 1.0, t0 = 0.0;
};

std::vector<double> read_y_coords(const std::string& path, int ny) {
  std::vector<double> y;
  if (path.size() > 4 && path.substr(path.size() - 4) == ".npy") {
    NpyReader r(path);
    IFF_REQUIRE(r.header().shape.size() == 1, "--y-coords " << path << ": expected a 1-D array");
    y.resize(r.header().elements());
    r.read(0, y.size(), y.data());
  } else {
    std::ifstream in(path);
    IFF_REQUIRE(in.good(), "--y-coords " << path << " cannot be read");
    std::string word;
    while (in >> word) {
      try {
        y.push_back(std::stod(word));
      } catch (const std::exception&) {
        throw InputError("--y-coords " + path + ": '" + word + "' is not a number");
      }
    }
  }
  IFF_REQUIRE(static_cast<int>(y.size()) == ny,
              "--y-coords " << path << ": " << y.size() << " values for ny = " << ny);
  for (int j = 1; j < ny; ++j)
    IFF_REQUIRE(y[j] > y[j - 1], "--y-coords " << path << ": values must increase from wall to wall");
  return y;
}

void run_import(const ImportOptions& o, const Context& ctx) {
  require_output_file(o.output);
  NpyReader npy(o.input);
  const auto& s = npy.header().shape;
  IFF_REQUIRE(s.size() == 6, "npy file " << o.input << ": expected 6 axes (n_traj, n_time, nx, ny, nz, c), got "
                                          << s.size());
  IFF_REQUIRE(s[5] == 3 || s[5] == 4,
              "npy file " << o.input << ": last axis must be 3 (u, v, w) or 4 (u, v, w, p), got " << s[5]);
  for (int a = 0; a < 5; ++a) IFF_REQUIRE(s[a] > 0, "npy file " << o.input << ": axis " << a << " is empty");
  IFF_REQUIRE(o.lx > 0 && o.ly > 0 && o.lz > 0, "box lengths must be positive");
  IFF_REQUIRE(o.re_tau > 0, "--re-tau must be positive, got " << o.re_tau);
  IFF_REQUIRE(o.dt > 0, "--dt must be positive, got " << o.dt);
  const int n_traj = s[0], n_time = s[1], nx = s[2], ny = s[3], nz = s[4], c = s[5];

  SeriesMeta m;
  m.kind = o.kind;
  m.n_traj = n_traj;
  m.has_pressure = c == 4;
  m.dtype = o.dtype == "float64" ? h5::DType::f64
            : o.dtype == "float32" ? h5::DType::f32
            : (npy.header().word_size == 8 ? h5::DType::f64 : h5::DType::f32);
  m.re_tau = o.re_tau;
  m.nu = o.nu > 0 ? o.nu : 1.0 / o.re_tau;
  m.lx = o.lx;
  m.ly = o.ly;
  m.lz = o.lz;
  m.units = o.units;
  m.git_commit = git_commit();
  m.x.resize(nx);
  m.z.resize(nz);
  for (int i = 0; i < nx; ++i) m.x[i] = o.lx * i / nx;
  for (int k = 0; k < nz; ++k) m.z[k] = o.lz * k / nz;
  if (o.y_coords.empty()) {
    m.y = gauss_lobatto_y(ny);
  } else {
    m.y = read_y_coords(o.y_coords, ny);
  }
  std::ostringstream cfg;
  cfg << "import:\n  source: " << o.input << "\n  lx: " << o.lx << "\n  ly: " << o.ly << "\n  lz: " << o.lz
      << "\n  re_tau: " << o.re_tau << "\n  dt: " << o.dt << "\n  t0: " << o.t0 << "\n  y_coords: "
      << (o.y_coords.empty() ? "gauss-lobatto" : o.y_coords) << "\n";
  m.config = cfg.str();

  SeriesWriter w(o.output, m, ctx.comm, WriteMode::atomic);
  if (o.y_coords.empty())
    log::warn("import: no --y-coords given; assuming Chebyshev-Gauss-Lobatto points y = -cos(pi j/{})", ny - 1);
  const std::size_t points = static_cast<std::size_t>(nx) * ny * nz;
  std::vector<double> raw(points * c), vel(points * 3), pres(points);
  const int rounds = (n_traj + ctx.size - 1) / ctx.size;
  Progress progress("import", static_cast<long>(n_traj) * n_time);  // snapshots of every rank
  for (int r = 0; r < rounds; ++r) {
    const int traj = r * ctx.size + ctx.rank;
    const bool mine = traj < n_traj;
    for (int t = 0; t < n_time; ++t) {
      run_agreed(ctx.comm, [&] {  // a bad snapshot on one rank stops every rank before the write
        if (!mine) return;
        npy.read((static_cast<std::size_t>(traj) * n_time + t) * points * c, points * c, raw.data());
        require_finite(raw.data(), nx, ny, nz, c == 4 ? "uvwp" : "uvw",
                       SnapshotOrigin{o.input, traj, t, o.t0 + o.dt * t, "npy file"});
        for (std::size_t p = 0; p < points; ++p) {
          for (int q = 0; q < 3; ++q) vel[3 * p + q] = raw[c * p + q];
          if (c == 4) pres[p] = raw[c * p + 3];
        }
      });
      const SeriesBlock b = mine ? SeriesBlock{traj, 1, 0, nx} : SeriesBlock{};
      w.write(t, o.t0 + o.dt * t, b, vel.data(), c == 4 ? pres.data() : nullptr);
      // the rounds before this one were full; this one has min(size, n_traj - r·size) ranks
      progress.update((static_cast<long>(r) * ctx.size) * n_time + std::min(ctx.size, n_traj - r * ctx.size) * (t + 1L));
    }
  }
  w.close();
  log::info("import: wrote {} ({} trajectories x {} snapshots of {}x{}x{}, {}{})", o.output, n_traj, n_time, nx, ny,
            nz, h5::to_string(m.dtype), c == 4 ? ", with pressure" : "");
}

}  // namespace

void add_import(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ImportOptions>();
  auto* sub = app.add_subcommand("import", "Convert a (n_traj, n_time, nx, ny, nz, c) .npy array to a series file");
  sub->add_option("input", o->input, "input .npy (little-endian <f4/<f8, C order)")->required();
  sub->add_option("-o,--output", o->output, "output series (.h5)")->required();
  sub->add_option("--lx", o->lx, "streamwise box length (h)")->capture_default_str();
  sub->add_option("--ly", o->ly, "wall-normal box length (h)")->capture_default_str();
  sub->add_option("--lz", o->lz, "spanwise box length (h)")->capture_default_str();
  sub->add_option("--re-tau", o->re_tau, "friction Reynolds number")->capture_default_str();
  sub->add_option("--nu", o->nu, "kinematic viscosity (default 1/re_tau)");
  sub->add_option("--dt", o->dt, "time between snapshots")->capture_default_str();
  sub->add_option("--t0", o->t0, "time of the first snapshot")->capture_default_str();
  sub->add_option("--y-coords", o->y_coords, "ny wall-normal coordinates (text or 1-D .npy), ascending");
  sub->add_option("--kind", o->kind, "series kind")
      ->check(CLI::IsMember({"dns", "fdns", "les-dsm", "les-wale", "les-smagorinsky", "prediction"}))
      ->capture_default_str();
  sub->add_option("--dtype", o->dtype, "storage type: auto (as input), float32, float64")
      ->check(CLI::IsMember({"auto", "float32", "float64"}))
      ->capture_default_str();
  sub->add_option("--units", o->units, "units of the series")->capture_default_str();
  sub->callback([o, &ctx] { run_import(*o, ctx); });
}

}  // namespace iff::app
