// A numerical solver as a rollout stepper: an LES (or DNS) case advanced by one snapshot
// interval per rollout step, so that `ifactflow rollout` with `rollout.solver: CASE.yaml`
// gives a solver the outputs, guards, resume, cost record and statistics of an operator
// rollout (rollout/engine.hpp).
//
// The case's sections grid, physics, sgs, time (dt, order, startup_substeps, cfl_max) and
// output.snapshot_every (steps per snapshot interval) are used; its initial state is the
// rollout's. A trajectory the stepper meets for the first time starts as `ifactflow dns`
// starts from a series snapshot (initial.type: series): the snapshot interpolated onto the
// case's grid and projected onto a divergence-free state (solvers/initial_conditions.hpp),
// then the self-starting SBDF steps. After that each trajectory keeps its own spectral state
// and multistep history between calls, so that its snapshots equal those `ifactflow dns
// CASE.yaml` writes from the same snapshot (same rank layout: bit for bit). Each trajectory
// runs on the calling rank alone (MPI_COMM_SELF); a resumed rollout restarts a trajectory's
// multistep scheme from its saved physical state (the self-starting steps again).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "io/config.hpp"
#include "rollout/stepper.hpp"
#include "rollout/stepper_source.hpp"
#include "solvers/channel_dns.hpp"

namespace iff::solvers {

class ChannelSolverStepper : public rollout::Stepper {
 public:
  /// `interval`: the time between the rollout's snapshots (the series'); it must be
  /// output.snapshot_every steps of time.dt. InputError for a case the stepper cannot run
  /// (CFL-controlled dt, no snapshot interval, another interval).
  ChannelSolverStepper(const DnsParams& params, double interval);
  ~ChannelSolverStepper() override;
  void advance(const std::vector<int>& ids, const std::vector<std::vector<const rollout::Field*>>& history,
               std::vector<rollout::Field>& next) override;
  std::string describe() const override;
  /// Model kind for the cost record: les-<model> or dns.
  std::string kind() const;
  const DnsParams& params() const { return p_; }

 private:
  struct Run;
  DnsParams p_;
  int steps_per_interval_ = 1;
  std::map<int, std::unique_ptr<Run>> runs_;  // by trajectory id
};

/// The stepper of the LES/DNS case file `case_file` (unknown keys refused), with its grid,
/// box, model kind and snapshot dtype; `interval` as for ChannelSolverStepper.
rollout::StepperSource solver_stepper_source(const std::string& case_file, double interval);

}  // namespace iff::solvers
