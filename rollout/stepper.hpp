// What the rollout engine advances: one snapshot interval of a trajectory, whatever does it
// (a trained operator, operators/operator_stepper.hpp; a numerical solver).
#pragma once

#include <string>
#include <vector>

#include "rollout/state_slab.hpp"

namespace iff::rollout {

/// One snapshot of one trajectory, [nx][ny][nz][3] (u, v, w): this rank's x planes of it
/// (Stepper::slab).
using Field = std::vector<double>;

class Stepper {
 public:
  virtual ~Stepper() = default;
  /// Snapshots of history the next state depends on (the operator's input window).
  virtual int window() const { return 1; }
  /// The x planes of each state, of `nx`, that this rank holds, gives and is given back
  /// (all of them unless the stepper splits each state over a group of ranks).
  virtual StateSlab slab(int nx) const { return StateSlab::whole(nx); }
  /// Advances a batch: history[b] holds window() states of trajectory ids[b] (its global
  /// index), oldest first; writes next[b]. A stepper with state of its own between calls (a
  /// solver's multistep history) keeps it by trajectory id.
  virtual void advance(const std::vector<int>& ids, const std::vector<std::vector<const Field*>>& history,
                       std::vector<Field>& next) = 0;
  virtual std::string describe() const = 0;
  /// Peak bytes one advance of `batch` states needs on this rank (the stepper's own memory
  /// and its working arrays, not the states the caller holds), with how it is counted; 0
  /// where the stepper does not estimate it.
  virtual double memory_bytes(int batch, std::string* how) const { return 0; }
};

}  // namespace iff::rollout
