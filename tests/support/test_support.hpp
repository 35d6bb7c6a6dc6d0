// Helpers shared by the tests.
#pragma once

#include <mpi.h>

#include <string>

namespace iff::test {

/// A fresh directory for this test (same path on every rank), removed at process exit
/// unless IFF_KEEP_TEST_FILES is set.
std::string temp_dir(const std::string& tag);

int rank(MPI_Comm comm = MPI_COMM_WORLD);
int size(MPI_Comm comm = MPI_COMM_WORLD);

/// Path to the ifactflow executable (from the IFF_EXE environment variable set by CTest).
std::string exe();

/// "mpirun -n N --oversubscribe" with a clean environment, for launching the executable
/// from inside a test process that is itself an MPI singleton (Open MPI refuses a nested
/// launch that inherits the parent's OMPI_/PMIX_ variables).
std::string mpirun(int ranks);

/// Runs a shell command, returns its exit status; stdout+stderr captured into `output`.
int run(const std::string& command, std::string* output = nullptr);

}  // namespace iff::test
