// A stepper together with what `ifactflow rollout` checks it against and records of it: a
// trained operator (operators::operator_stepper_source) or an LES/DNS case
// (solvers::solver_stepper_source).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/h5.hpp"
#include "io/series.hpp"
#include "rollout/stepper.hpp"

namespace iff::rollout {

struct StepperSource {
  std::unique_ptr<Stepper> stepper;
  std::string what;                // for messages: "checkpoint FILE" or "solver case FILE"
  std::vector<int> grid;           // nx, ny, nz
  std::vector<double> box;         // lx, lz (0, 0: unknown)
  std::string kind;                // model kind for cost.csv
  int threads = 1;                 // per rank, for cost.csv
  std::optional<h5::DType> dtype;  // the prediction's dtype (a solver case's snapshot_dtype)

  /// InputError naming both unless the series `file` has the stepper's grid and, where the
  /// stepper knows its box (the positional features of a checkpoint were made for it), its
  /// box to 1e-9.
  void require_fits(const std::string& file, const SeriesMeta& m) const;
};

}  // namespace iff::rollout
