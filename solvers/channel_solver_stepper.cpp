#include "solvers/channel_solver_stepper.hpp"

#include <cmath>

#include <fmt/format.h>

#include "io/error.hpp"
#include "io/log.hpp"
#include "solvers/channel_diagnostics.hpp"
#include "solvers/imex.hpp"
#include "solvers/initial_conditions.hpp"

namespace iff::solvers {

/// One trajectory: its equation (the forcing of a bulk-velocity drive is part of its state),
/// its time stepper, and the physical state it last returned.
struct ChannelSolverStepper::Run {
  ChannelNSE nse;
  Sbdf sbdf;
  cvec scratch;
  rollout::Field last;
  Run(const DnsParams& p, const ChannelPhysics& phys)
      : nse(p.grid, phys, MPI_COMM_SELF, fftw_flags(p.fftw_planner)),
        sbdf(nse, p.time.dt, p.time.order, p.time.startup_substeps),
        scratch(nse.state_size()) {}
};

ChannelSolverStepper::ChannelSolverStepper(const DnsParams& params, double interval) : p_(params) {
  IFF_REQUIRE(!p_.time.adaptive, "rollout.solver: a CFL-controlled case (time.adaptive: true) has no fixed snapshot "
                                 "interval; give it a fixed time.dt");
  IFF_REQUIRE(p_.output.snapshot_every > 0,
              "rollout.solver: output.snapshot_every (steps per snapshot interval) must be positive");
  steps_per_interval_ = p_.output.snapshot_every;
  const double own = steps_per_interval_ * p_.time.dt;
  IFF_REQUIRE(std::abs(own - interval) <= 1e-9 * std::max(own, interval),
              "rollout.solver: output.snapshot_every x time.dt = " << own << " differs from the series' snapshot interval "
                                                                  << interval);
}

ChannelSolverStepper::~ChannelSolverStepper() = default;

std::string ChannelSolverStepper::kind() const {
  return p_.sgs.model == SgsModelKind::none ? std::string("dns") : "les-" + to_string(p_.sgs.model);
}

std::string ChannelSolverStepper::describe() const {
  return fmt::format("{} on {}x{}x{}, {} steps of dt = {} per snapshot", kind(), p_.grid.nx, p_.grid.ny, p_.grid.nz,
                     steps_per_interval_, p_.time.dt);
}

void ChannelSolverStepper::advance(const std::vector<int>& ids,
                                   const std::vector<std::vector<const rollout::Field*>>& history,
                                   std::vector<rollout::Field>& next) {
  const auto& g = p_.grid;
  for (std::size_t b = 0; b < history.size(); ++b) {
    const rollout::Field& state = *history[b].back();
    auto& run = runs_[ids[b]];
    if (!run || state != run->last) {
      // a state this stepper did not produce: started as `dns` starts from a series snapshot
      ChannelPhysics physics = p_.physics.channel();
      physics.sgs = p_.sgs;
      run = std::make_unique<Run>(p_, physics);
      cvec x0;
      state_from_physical(run->nse, state, g.nx, g.ny, g.nz, x0);
      run->nse.explicit_terms(x0, run->scratch);
      run->sbdf.start(x0);
    }
    Run& r = *run;
    rollout::Field out;
    for (int s = 0; s < steps_per_interval_; ++s) {
      // the same evaluations as the dns loop: in the self-starting phase the state's own
      if (r.sbdf.starting()) r.nse.explicit_terms(r.sbdf.state(), r.scratch);
      r.sbdf.step();
      const FlowDiagnostics& d = r.nse.last_diagnostics();
      const double cfl = d.cfl_rate * p_.time.dt;
      if (!std::isfinite(d.kinetic_energy) || cfl > p_.time.cfl_max) {
        log::warn("rollout.solver: trajectory {}: {} after {} of {} steps of its interval; its state is non-finite from "
                  "here",
                  ids[b], std::isfinite(d.kinetic_energy) ? fmt::format("CFL {:.3f} above time.cfl_max = {}", cfl, p_.time.cfl_max)
                                                          : std::string("non-finite state"),
                  s + 1, steps_per_interval_);
        out.assign(state.size(), std::nan(""));
        break;
      }
    }
    if (out.empty()) out = gather_velocity(r.nse, r.sbdf.state());
    r.last = out;
    next[b] = std::move(out);
  }
}

rollout::StepperSource solver_stepper_source(const std::string& case_file, double interval) {
  auto cfg = Config::load(case_file, {});
  auto p = DnsParams::from(cfg);
  cfg.reject_unknown();
  rollout::StepperSource s;
  s.what = "solver case " + case_file;
  s.grid = {p.grid.nx, p.grid.ny, p.grid.nz};
  s.box = {p.grid.lx, p.grid.lz};
  s.dtype = p.output.snapshot_dtype;
  auto stepper = std::make_unique<ChannelSolverStepper>(p, interval);
  s.kind = stepper->kind();
  s.stepper = std::move(stepper);
  return s;
}

}  // namespace iff::solvers
