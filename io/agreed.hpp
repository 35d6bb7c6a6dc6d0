// Errors made collective. A step that may fail on some ranks of a communicator only (the
// read of one rank's share of an input, with its checks) runs through run_agreed before the
// ranks go on into a collective call (an HDF5 write, a reduction): otherwise the failing
// rank would unwind (closing a shared file is itself collective) while the others wait in
// that call, and the job would hang instead of ending with the error.
//
//   iff::run_agreed(comm, [&] { if (mine) reader.read(t, block, v.data()); });
#pragma once

#include <mpi.h>

#include <functional>

namespace iff {

/// Runs `step` on every rank of `comm` (collective). When it throws an iff::Error on some
/// ranks, every rank throws the error of the lowest failing rank, of the same kind
/// (ConfigError, InputError, IOError, NumericalError, LogicError) and with its message.
void run_agreed(MPI_Comm comm, const std::function<void()>& step);

}  // namespace iff
