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
  std::string command_line;  ///< argv joined by spaces (recorded in output-folder locks)
};

void add_import(CLI::App& app, Context& ctx);
void add_info(CLI::App& app, Context& ctx);
void add_dns(CLI::App& app, Context& ctx);
void add_stats(CLI::App& app, Context& ctx);
void add_filter(CLI::App& app, Context& ctx);
void add_dataset(CLI::App& app, Context& ctx);
void add_compare(CLI::App& app, Context& ctx);
void add_train(CLI::App& app, Context& ctx);    // with libtorch only
void add_convert(CLI::App& app, Context& ctx);  // with libtorch only
void add_export(CLI::App& app, Context& ctx);   // with libtorch only
void add_rollout(CLI::App& app, Context& ctx);  // with libtorch only
void add_unlock(CLI::App& app, Context& ctx);
void add_xdmf(CLI::App& app, Context& ctx);
void add_config(CLI::App& app, Context& ctx);

/// Options of `ifactflow stats`, shared with the commands that end with statistics.
struct SeriesStatsOptions {
  std::string input, output;
  int start = 0;       ///< first time index
  int every = 1;       ///< stride in time index
  int traj = -1;       ///< one trajectory, or -1 for all
  double re_tau = 0;   ///< override Re_tau of the wall units (0: the series' records, else its wall shear)
  std::vector<double> spectra_y_plus = {5, 15, 30, 100};
};
/// Profiles, spectra and the kinetic-energy table of a series: each rank of ctx.comm reads
/// its x planes of every snapshot used, the sums are joined on rank 0, which writes the
/// tables. Collective.
void series_statistics(const SeriesStatsOptions& options, const Context& ctx);

/// In a build without libtorch, registers the commands that need it (train, convert, export):
/// each says so in one line and exits non-zero. rollout is built and refuses rollout.checkpoint.
void add_not_yet_built(CLI::App& app, Context& ctx);

/// Thrown by commands that exist in the interface but are not built yet (exit code 2).
struct NotBuilt : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace iff::app
