#include "solvers/statistics_output.hpp"

#include <algorithm>
#include <cmath>

#include "analysis/wall_units.hpp"
#include "io/agreed.hpp"
#include "io/comm.hpp"
#include "io/fsutil.hpp"
#include "io/log.hpp"
#include "solvers/channel_diagnostics.hpp"
#include "solvers/sgs_profiles.hpp"

namespace iff::solvers {

StatisticsSamples::StatisticsSamples(ChannelNSE& nse, int stats_every, double stats_start,
                                     const std::vector<double>& spectra_y_plus, double re_tau_nominal, bool fresh,
                                     MPI_Comm comm)
    : nse_(nse), every_(stats_every), start_time_(stats_start), fresh_(fresh) {
  if (comm_rank(comm) != 0) return;
  const auto& g = nse.grid();
  auto y = g.y();
  std::reverse(y.begin(), y.end());
  const auto sj = analysis::nearest_y_plus_indices(y, spectra_y_plus, re_tau_nominal);
  stats_ = std::make_unique<analysis::ChannelStatistics>(g.nx, g.ny, g.nz, g.lx, g.lz, y, sj);
}

void StatisticsSamples::start(const StepBoundary& b) {
  if (fresh_ && due(b)) write(b);
}

void StatisticsSamples::write(const StepBoundary& b) {
  const cvec& x = *b.state;
  auto f = gather_velocity(nse_, x);
  const double tau = solvers::wall_shear(nse_, x);  // collective (the member wall_shear() hides it)
  if (stats_) stats_->add(f.data()), tau_.push_back(tau);
  if (nse_.les()) {
    // SGS profiles of this state, Gauss–Lobatto order (upper wall first) -> y ascending
    auto s = sgs_profiles(nse_, x);
    for (auto* v : {&s.nu_t, &s.dissipation, &s.coefficient}) std::reverse(v->begin(), v->end());
    if (stats_) stats_->add_sgs(s.nu_t.data(), s.dissipation.data(), s.coefficient.data());
  }
}

StatisticsFiles::StatisticsFiles(const StatisticsSamples& samples, std::string dir, int stats_write_every, double nu,
                                 std::string measured_what, MPI_Comm comm)
    : samples_(samples),
      dir_(std::move(dir)),
      every_(stats_write_every),
      nu_(nu),
      measured_what_(std::move(measured_what)),
      comm_(comm) {}

void StatisticsFiles::write_files(bool final) {
  run_agreed(comm_, [&] {
    const auto* stats = samples_.statistics();
    if (!stats || stats->samples() == 0) return;
    const auto& tau = samples_.wall_shear();
    analysis::WallUnitsEvidence e;
    e.nu = nu_;
    e.snapshots = static_cast<long>(tau.size());
    e.measured_what = measured_what_;
    e.measured_u_tau = [&] {
      double sum = 0.0;
      for (double t : tau) sum += t;
      return std::sqrt(std::max(0.0, sum / std::max<std::size_t>(tau.size(), 1)));
    };
    const analysis::WallUnits w = analysis::resolve_wall_units(e);
    stats->write_csv(dir_, w.re_tau, w.u_tau);
    stats->write_h5(dir_ + "/stats.h5", &w);
    write_text_atomic(dir_ + "/wall_units.txt", analysis::wall_units_text(w, stats->samples(), dir_));
    if (final)
      log::info("dns: statistics of {} samples in wall units u_tau = {:.6g}, Re_tau = {:.6g} from {}",
                stats->samples(), w.u_tau, w.re_tau, w.description);
  });
}

}  // namespace iff::solvers
