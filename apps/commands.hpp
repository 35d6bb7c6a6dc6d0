// Subcommand registration. Each command lives in its own apps/cmd_*.cpp and adds itself to
// the CLI11 application; its callback runs after MPI_Init and throws iff::Error on failure.
#pragma once

#include <CLI/CLI.hpp>
#include <mpi.h>

#include <string>
#include <vector>

namespace iff::app {

/// Shared state for command callbacks.
struct Context {
  MPI_Comm comm = MPI_COMM_WORLD;
  int rank = 0;
  int size = 1;
};

void add_import(CLI::App& app, Context& ctx);
void add_info(CLI::App& app, Context& ctx);
void add_dns(CLI::App& app, Context& ctx);

/// Registers the subcommands of DESIGN.md §6 that are not built yet: each says so and
/// exits non-zero. A command that gets built replaces its entry here.
void add_not_yet_built(CLI::App& app, Context& ctx);

/// Thrown by commands that exist in the interface but are not built yet (exit code 2).
struct NotBuilt : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace iff::app
