// Channel DNS benchmark: seconds per SBDF3 step and per grid point for given resolved-mode
// grids, the number of scalar 3-D transforms per step, and the FFTW-only time of that many
// transforms measured in the same run (the ratio is the solver's overhead over its FFT
// floor); wall time per unit of simulated time at the fixed dt and at CFL 0.5 (the dt a
// CFL-limited run would take). Median of several runs.
//
//   mpirun -n 2 bench_dns [--grid 64x65x64 --grid 128x129x128] [--steps 5] [--repeats 3]
//                         [--dt 0.01] [--re 1800] [--measure]
// Laminar Re_centre = 1800 flow plus a random perturbation (amplitude 0.1), box 2π × 2 × π.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
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
/// Time of `f` measured on every rank, synchronised, max over ranks.
template <class F>
double timed(F&& f, MPI_Comm comm) {
  MPI_Barrier(comm);
  const double t0 = now();
  f();
  double t = now() - t0;
  MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, comm);
  return t;
}
}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<std::string> grids;
  int steps = 5, repeats = 3;
  double dt = 0.01, re = 1800.0;
  bool measure = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--grid") grids.push_back(next());
    else if (a == "--steps") steps = std::stoi(next());
    else if (a == "--repeats") repeats = std::stoi(next());
    else if (a == "--dt") dt = std::stod(next());
    else if (a == "--re") re = std::stod(next());
    else if (a == "--measure") measure = true;
    else {
      if (rank == 0) std::fprintf(stderr, "bench_dns: unknown argument %s\n", a.c_str());
      MPI_Finalize();
      return 2;
    }
  }
  if (grids.empty()) grids = {"64x65x64"};
  if (rank == 0)
    std::printf("# bench_dns: %d rank(s), SBDF3, dt %.4g, Re_centre %.0f, box 2pi x 2 x pi, FFTW %s, %d steps x %d "
                "repeats (median)\n",
                size, dt, re, measure ? "MEASURE" : "ESTIMATE", steps, repeats);
  for (const auto& gs : grids) {
    const auto n = iff::parse_grid_triplet(gs);
    ChannelGrid g;
    g.nx = n[0], g.ny = n[1], g.nz = n[2], g.lx = 2 * M_PI, g.lz = M_PI;
    ChannelPhysics ph;
    ph.nu = 1.0 / re;
    ph.driving = Driving::pressure_gradient;
    ph.pressure_gradient = 2.0 / re;
    ChannelNSE nse(g, ph, MPI_COMM_WORLD, measure ? FFTW_MEASURE : FFTW_ESTIMATE);
    cvec x = laminar_state(nse, 1.0);
    add_random_perturbation(nse, x, 0.1, 1);
    Sbdf sbdf(nse, dt, 3, 1);
    sbdf.start(x);
    sbdf.step();  // SBDF3 from here on, operators built
    sbdf.step();
    sbdf.step();
    std::vector<double> per_step, floor_per_step;
    long transforms_per_step = 0;
    auto& tr = nse.transform();
    for (int r = 0; r < repeats; ++r) {
      const long c0 = tr.transforms();
      per_step.push_back(timed([&] { for (int s = 0; s < steps; ++s) sbdf.step(); }, MPI_COMM_WORLD) / steps);
      transforms_per_step = (tr.transforms() - c0) / steps;
    }
    // FFT floor: the same number of scalar transforms, FFTW calls only (6 inverse + 3 forward)
    for (int r = 0; r < repeats; ++r)
      floor_per_step.push_back(timed([&] {
        for (int s = 0; s < steps; ++s) {
          tr.fftw_only(6, false);
          tr.fftw_only(3, true);
        }
      }, MPI_COMM_WORLD) / steps);
    const double t = median(per_step), tf = median(floor_per_step);
    const double cfl = nse.last_diagnostics().cfl_rate * dt;
    const double dt_cfl = dt * 0.5 / cfl;  // dt at CFL 0.5 (SBDF3 runs stably at 0.4-0.6)
    const double points = double(g.nx) * g.ny * g.nz;
    if (rank == 0) {
      std::printf("grid %s modes (padded %dx%dx%d): %.4f s/step  %.3e s/step/point  %ld 3-D transforms/step  "
                  "FFT floor %.4f s/step  ratio %.2f  wall per time unit %.2f s\n",
                  gs.c_str(), g.nxp(), g.ny, g.nzp(), t, t / points, transforms_per_step, tf, t / tf, t / dt);
      std::printf("   CFL at dt %.4g: %.3f; at CFL 0.5 (dt %.4g): wall per time unit %.2f s\n", dt, cfl, dt_cfl,
                  t / dt_cfl);
      std::printf("   runs (s/step):");
      for (double v : per_step) std::printf(" %.4f", v);
      std::printf("   floor runs:");
      for (double v : floor_per_step) std::printf(" %.4f", v);
      std::printf("\n");
    }
  }
  MPI_Finalize();
  return 0;
}
