#include "solvers/time_series_output.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "io/agreed.hpp"
#include "io/comm.hpp"
#include "io/fsutil.hpp"
#include "solvers/channel_diagnostics.hpp"

namespace iff::solvers {

namespace {

std::string csv_header() { return "step,t,dt,cfl,kinetic_energy,fluct_energy,bulk_velocity,re_tau,max_div,forcing\n"; }

/// Rows of an existing time series with step < `before` (restart), header included.
std::string csv_prefix(const std::string& path, long before) {
  std::ifstream in(path);
  std::string out = csv_header(), line;
  if (!in) return out;
  std::getline(in, line);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (std::stol(line.substr(0, line.find(','))) < before) out += line + "\n";
  }
  return out;
}

}  // namespace

TimeSeriesOutput::TimeSeriesOutput(std::string path, const std::string& restart_from, long restart_step,
                                   int csv_every, int checkpoint_every, double re, MPI_Comm comm)
    : path_(std::move(path)),
      csv_every_(csv_every),
      checkpoint_every_(checkpoint_every),
      re_(re),
      comm_(comm),
      root_(comm_rank(comm) == 0) {
  if (!root_) return;
  if (restart_from.empty()) {
    rows_ = csv_header();
    return;
  }
  // a restart continues the time series of its output directory, else the checkpoint's
  const std::string prev = std::filesystem::exists(path_)
                               ? path_
                               : (std::filesystem::path(restart_from).parent_path() / "timeseries.csv").string();
  rows_ = csv_prefix(prev, restart_step);
}

void TimeSeriesOutput::before_step(ChannelNSE& nse, long step, const cvec& x) {
  measured_ = step % csv_every_ == 0;
  if (!measured_) return;
  pending_.bulk_velocity = bulk_velocity(nse, x);
  const double tau = wall_shear(nse, x);
  pending_.re_tau = std::sqrt(std::abs(tau)) * re_;
  pending_.max_div = max_divergence(nse, x);
  pending_.fluct_energy = fluctuation_energy(nse, x);
  pending_forcing_ = nse.forcing();  // collective
}

void TimeSeriesOutput::after_step(long step, double t, double dt, const FlowDiagnostics& d) {
  if (measured_) append(step, t, dt, d.cfl_rate * dt, d.kinetic_energy, pending_, pending_forcing_);
  measured_ = false;
}

TimeSeriesRow TimeSeriesOutput::final_row(ChannelNSE& nse, const cvec& x, long step, double t, double dt) {
  const auto& d = nse.last_diagnostics();
  TimeSeriesRow r;
  r.bulk_velocity = bulk_velocity(nse, x);
  const double tau = wall_shear(nse, x);
  r.max_div = max_divergence(nse, x);
  r.fluct_energy = fluctuation_energy(nse, x);  // Parseval: exact, >= 0
  r.re_tau = std::sqrt(std::abs(tau)) * re_;
  r.kinetic_energy = d.kinetic_energy;
  const double forcing = nse.forcing();  // collective
  append(step, t, dt, d.cfl_rate * dt, d.kinetic_energy, r, forcing);
  return r;
}

void TimeSeriesOutput::append(long step, double t, double dt, double cfl, double kinetic_energy,
                              const TimeSeriesRow& m, double forcing) {
  if (root_)
    rows_ += fmt::format("{},{:.10g},{:.10g},{:.6g},{:.12g},{:.12g},{:.12g},{:.10g},{:.3e},{:.10g}\n", step, t, dt,
                         cfl, kinetic_energy, m.fluct_energy, m.bulk_velocity, m.re_tau, m.max_div, forcing);
}

void TimeSeriesOutput::write_file() {
  run_agreed(comm_, [&] {
    if (root_) write_text_atomic(path_, rows_);
  });
}

bool TimeSeriesOutput::due(const StepBoundary& b) const { return b.step % checkpoint_every_ == 0 && !b.last; }

}  // namespace iff::solvers
