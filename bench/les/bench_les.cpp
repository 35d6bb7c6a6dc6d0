// LES benchmark: wall-clock cost per unit simulated time of the channel solver with each SGS
// model (none, smagorinsky, dsm, wale) on the coarse grid, and each model's overhead over
// no model, measured in the same process. The timed blocks of the four models are
// interleaved, so machine load affects them alike; the median of the blocks is reported.
//
//   mpirun -n 2 bench_les [--grid 32x33x16] [--steps 20] [--repeats 7] [--dt 0.0025]
//
// Re_tau = 180 in wall units (ν = 1/180, constant bulk velocity 15.68), box 4π × 2 × 4π/3,
// dt of cases/re180/les-*.yaml; state: Reichardt's mean profile plus random fluctuations of
// rms 1.5 u_τ (the per-step cost does not depend on the state).
//
// Recorded on the shared 2-core machine (other jobs running), 32x33x16, 20 steps x 7 repeats:
//   1 rank:  none 4.8 ms/step (1.9 s per h/u_tau), smagorinsky x1.8, dsm x3.4, wale x2.3
//   2 ranks: none 10.6 ms/step (4.2 s per h/u_tau), smagorinsky x1.5, dsm x2.7, wale x2.0
// (this grid is too small for 2 ranks to pay off, as for the DNS demo)
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "io/config.hpp"
#include "solvers/initial_conditions.hpp"

using namespace iff::solvers;

using namespace iff::spectral;


namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}
double reichardt(double yp) {
  return std::log(1 + 0.41 * yp) / 0.41 + 7.8 * (1 - std::exp(-yp / 11) - yp / 11 * std::exp(-yp / 3));
}
cvec initial_state(const ChannelNSE& nse, int rank) {
  const auto& g = nse.grid();
  std::vector<double> f;
  if (rank == 0) {
    auto y = g.y();
    std::reverse(y.begin(), y.end());
    f.assign(std::size_t(g.nx) * g.ny * g.nz * 3, 0.0);
    for (int i = 0; i < g.nx; ++i)
      for (int j = 0; j < g.ny; ++j)
        for (int k = 0; k < g.nz; ++k) f[((std::size_t(i) * g.ny + j) * g.nz + k) * 3] = reichardt((1 - std::abs(y[j])) * 180);
  }
  cvec x;
  state_from_physical(nse, f, g.nx, g.ny, g.nz, x);
  add_random_perturbation(nse, x, 1.5, 3);
  return x;
}
}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::string grid = "32x33x16";
  int steps = 20, repeats = 7;
  double dt = 0.0025;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--grid") grid = next();
    else if (a == "--steps") steps = std::stoi(next());
    else if (a == "--repeats") repeats = std::stoi(next());
    else if (a == "--dt") dt = std::stod(next());
    else {
      if (rank == 0) std::fprintf(stderr, "bench_les: unknown argument %s\n", a.c_str());
      MPI_Finalize();
      return 2;
    }
  }
  const auto n = iff::parse_grid_triplet(grid);
  ChannelGrid g;
  g.nx = n[0], g.ny = n[1], g.nz = n[2], g.lx = 4 * M_PI, g.lz = 4 * M_PI / 3;
  const std::vector<SgsModelKind> models = {SgsModelKind::none, SgsModelKind::smagorinsky, SgsModelKind::dsm,
                                            SgsModelKind::wale};
  std::vector<std::unique_ptr<ChannelNSE>> nse;
  std::vector<std::unique_ptr<Sbdf>> sbdf;
  for (auto m : models) {
    ChannelPhysics ph;
    ph.nu = 1.0 / 180;
    ph.driving = Driving::bulk_velocity;
    ph.bulk_velocity = 15.68;
    ph.sgs.model = m;
    nse.push_back(std::make_unique<ChannelNSE>(g, ph, MPI_COMM_WORLD));
    sbdf.push_back(std::make_unique<Sbdf>(*nse.back(), dt, 3, 1));
    sbdf.back()->start(initial_state(*nse.back(), rank));
    for (int s = 0; s < 3; ++s) sbdf.back()->step();  // SBDF3 from here on, operators built
  }
  if (rank == 0)
    std::printf("# bench_les: %d rank(s), grid %s (padded %dx%dx%d), Re_tau 180, dt %.4g, SBDF3, %d steps x %d "
                "interleaved repeats (median)\n",
                size, grid.c_str(), g.nxp(), g.ny, g.nzp(), dt, steps, repeats);
  std::vector<std::vector<double>> per_step(models.size());
  std::vector<long> transforms(models.size());
  for (int r = 0; r < repeats; ++r)
    for (std::size_t k = 0; k < models.size(); ++k) {
      const long c0 = nse[k]->transform().transforms();
      MPI_Barrier(MPI_COMM_WORLD);
      const double t0 = now();
      for (int s = 0; s < steps; ++s) sbdf[k]->step();
      double t = (now() - t0) / steps;
      MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      per_step[k].push_back(t);
      transforms[k] = (nse[k]->transform().transforms() - c0) / steps;
    }
  const double base = median(per_step[0]);
  for (std::size_t k = 0; k < models.size(); ++k) {
    const double t = median(per_step[k]);
    const double cfl = nse[k]->last_diagnostics().cfl_rate * dt;
    if (rank == 0) {
      std::printf("%-12s %.3f ms/step  %7.2f s per unit time (h/u_tau)  overhead x%.2f  %2ld 3-D transforms/step  "
                  "CFL %.2f  runs:",
                  to_string(models[k]).c_str(), 1e3 * t, t / dt, t / base, transforms[k], cfl);
      for (double v : per_step[k]) std::printf(" %.2f", 1e3 * v);
      std::printf("\n");
    }
  }
  sbdf.clear();
  nse.clear();  // FFTW-MPI plans before MPI_Finalize
  MPI_Finalize();
  return 0;
}
