// A trained operator as a rollout stepper: physical velocity in, physical velocity out,
// through the checkpoint's normalisation:  u_next = D(model(N(u_window))), with N and D the
// per-component input normalisation and output de-normalisation stored in the checkpoint.
//
// A batch of one trajectory (rollout.batch: 1) is evaluated with the same tensor shapes
// whatever else runs on the rank, so a trajectory's prediction does not depend on the
// number of ranks or on the other trajectories, bit for bit on any CPU (the BLAS and libxsmm
// kernels are chosen by shape). A larger batch evaluates its trajectories in one call: the
// kernels chosen for the larger products may round differently, so a trajectory then
// agrees with its batch-of-one prediction to round-off per step only.
//
// Split over the ranks of a slab communicator (rollout.ranks_per_trajectory), the model
// evaluates each state on x-slabs (attention/slab.hpp, operators/mpi_slab_group.hpp): each
// rank of the group is given its own planes of the states (slab()) and gives back its planes
// of the next ones; no rank holds a whole state. The split model equals the whole one to
// round-off (other product shapes, the unfused block path): a split trajectory agrees with
// the unsplit one to round-off per step, and is the same, bit for bit, for a given split.
#pragma once

#include <mpi.h>

#include <memory>
#include <string>

#include "io/compute.hpp"
#include "rollout/stepper.hpp"
#include "rollout/stepper_source.hpp"

namespace iff::operators {

struct OperatorStepperOptions {
  std::string checkpoint;       ///< operator checkpoint (ifactflow train / convert)
  Device device = Device::cpu;
  int threads = 0;              ///< intra-op threads for this rank (0: leave libtorch's)
  /// Precision of the evaluation: that of the stored weights, or float32 / float64 (weights
  /// converted; float64 checks imported reference weights).
  Precision dtype = Precision::checkpoint;
  Arithmetic precision = Arithmetic::fp32;  ///< of the products (operators/arithmetic.hpp)
  /// The ranks each state is split over in x-slabs (MPI_COMM_SELF: evaluated whole here);
  /// the caller keeps it alive while the stepper lives.
  MPI_Comm slab_comm = MPI_COMM_SELF;
};

/// Creates the stepper; InputError for a missing or foreign checkpoint, or a device the
/// linked libtorch lacks.
std::unique_ptr<rollout::Stepper> make_operator_stepper(const OperatorStepperOptions& options);

/// The stepper with the checkpoint's grid, box, model kind and this rank's threads.
rollout::StepperSource operator_stepper_source(const OperatorStepperOptions& options);

/// Grid of a checkpoint (to check it against the initial states): nx, ny, nz.
std::vector<int> checkpoint_grid(const std::string& checkpoint);

/// Box lengths of a checkpoint's grid: lx, lz (h units).
std::vector<double> checkpoint_box(const std::string& checkpoint);

/// Model kind of a checkpoint: ifactformer-m, ifactformer-o, fno or ifno.
std::string checkpoint_model_kind(const std::string& checkpoint);

/// Intra-op threads libtorch uses on this rank.
int intra_op_threads();

/// Trajectories the checkpoint's training held out for validation (the last ones of its
/// training series): how many, from its resolved config (0 when unknown).
int checkpoint_validation_trajectories(const std::string& checkpoint, int n_traj);

}  // namespace iff::operators
