// ifactflow: command-line entry point. Parses argv, runs one subcommand under MPI, turns
// any exception into one line on stderr and a non-zero exit (MPI_Abort with several ranks).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "apps/commands.hpp"
#include "apps/version.hpp"
#include "io/error.hpp"
#include "io/h5.hpp"
#include "io/log.hpp"
#include "io/stop_signal.hpp"
#ifdef IFF_HAVE_TORCH
#include "operators/heap_policy.hpp"
#include "operators/torch_info.hpp"
#endif

namespace {

std::string version_text() {
  std::string s = std::string("ifactflow ") + iff::project_version() + " (git " + iff::git_commit() + ")\n";
  s += std::string("  MPI            : ") + IFF_MPI_VERSION + "\n";
  s += std::string("  parallel HDF5  : ") + IFF_HDF5_VERSION + "\n";
  s += std::string("  VTK            : ") + IFF_VTK_VERSION + "\n";
  s += "  FFTW3 (MPI)    : yes\n";
#ifdef IFF_HAVE_TORCH
  s += "  libtorch       : " + iff::torch_features() + "\n";
#else
  s += "  libtorch       : not built\n";
#endif
  return s;
}

/// True when every rank of `comm` reaches this call within `seconds` (every rank failed: a
/// configuration or input error). A barrier on a communicator of its own, so that it cannot
/// match a collective that ranks still running are in.
bool every_rank_failed(MPI_Comm comm, double seconds) {
  MPI_Request req;
  MPI_Ibarrier(comm, &req);
  const double until = MPI_Wtime() + seconds;
  int done = 0;
  while (!done && MPI_Wtime() < until) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done != 0;
}

/// One error line and the exit status. Under MPI: when every rank failed (the same bad input
/// everywhere, or an I/O error the libraries made collective), rank 0 prints its message and
/// every rank finalizes; when only some did, the failing rank prints its message first and
/// aborts the others. A parallel HDF5 file abandoned after a failed write cannot be closed
/// (HDF5 1.10 would hang in MPI_Finalize, where it closes what is still open): then the job
/// ends with MPI_Abort after the one line.
int fail(const iff::app::Context& ctx, MPI_Comm agreement, const std::string& what, int code,
         const char* kind = "error") {
  if (ctx.size > 1 && every_rank_failed(agreement, 5.0)) {
    if (ctx.rank == 0) std::fprintf(stderr, "ifactflow: %s: %s\n", kind, what.c_str());
    std::fflush(stderr);
    if (iff::h5::parallel_file_abandoned()) {
      // rank 0 aborts once its line is out; an abort from another rank could end rank 0
      // before mpirun has forwarded that line
      if (ctx.rank != 0) std::this_thread::sleep_for(std::chrono::seconds(10));
      MPI_Abort(ctx.comm, code);
    }
    MPI_Finalize();
    return code;
  }
  if (ctx.size > 1)
    std::fprintf(stderr, "ifactflow: %s (rank %d of %d, the others still running): %s\n", kind, ctx.rank, ctx.size,
                 what.c_str());
  else
    std::fprintf(stderr, "ifactflow: %s: %s\n", kind, what.c_str());
  std::fflush(stderr);
  if (ctx.size > 1) MPI_Abort(ctx.comm, code);
  MPI_Finalize();
  return code;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef IFF_HAVE_TORCH
  iff::keep_freed_heap_memory();  // the models' tensors are made and freed per layer
#endif
  // hwloc (inside MPI_Init) probes X displays for GPUs through its GL component; on a node
  // with a stale DISPLAY that probe kills the process ("X connection to :0 broken")
  setenv("HWLOC_COMPONENTS", "-gl", /*overwrite=*/0);
  MPI_Init(&argc, &argv);
  iff::app::Context ctx;
  MPI_Comm_rank(ctx.comm, &ctx.rank);
  MPI_Comm_size(ctx.comm, &ctx.size);
  MPI_Comm agreement;  // for the failure agreement in fail() only
  MPI_Comm_dup(ctx.comm, &agreement);
  for (int i = 0; i < argc; ++i) ctx.command_line += (i ? " " : "") + std::string(argv[i]);

  CLI::App app{"ifactflow: spectral channel DNS, LES baselines and neural-operator surrogates"};
  app.require_subcommand(0, 1);
  bool show_version = false;
  std::string level = "info";
  app.add_flag("--version", show_version, "Print version, git commit and enabled features");
  app.add_option("--log-level", level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));

  iff::log::init(ctx.rank, "info");
  app.parse_complete_callback([&] { spdlog::set_level(spdlog::level::from_str(ctx.rank == 0 ? level : "error")); });

  iff::app::add_import(app, ctx);
  iff::app::add_info(app, ctx);
  iff::app::add_dns(app, ctx);
  iff::app::add_stats(app, ctx);
  iff::app::add_filter(app, ctx);
  iff::app::add_dataset(app, ctx);
  iff::app::add_compare(app, ctx);
  iff::app::add_unlock(app, ctx);
  iff::app::add_xdmf(app, ctx);
  iff::app::add_config(app, ctx);
#ifdef IFF_HAVE_TORCH
  iff::app::add_train(app, ctx);
  iff::app::add_convert(app, ctx);
  iff::app::add_export(app, ctx);
#endif
  iff::app::add_rollout(app, ctx);
  iff::app::add_not_yet_built(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    if (ctx.rank == 0) app.exit(e);
    MPI_Finalize();
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    if (ctx.rank == 0) app.exit(e);
    MPI_Finalize();
    return 0;
  } catch (const CLI::ParseError& e) {
    return fail(ctx, agreement, e.what(), 2);
  } catch (const iff::app::NotBuilt& e) {
    return fail(ctx, agreement, e.what(), 2);
  } catch (const iff::Interrupted& e) {
    return fail(ctx, agreement, e.what(), iff::kExitInterrupted, "interrupted");
  } catch (const iff::Error& e) {
    return fail(ctx, agreement, e.what(), 1);
  } catch (const std::exception& e) {
    return fail(ctx, agreement, std::string("unexpected: ") + e.what(), 1);
  }
  if (show_version) {
    if (ctx.rank == 0) std::cout << version_text();
  } else if (app.get_subcommands().empty()) {
    if (ctx.rank == 0) std::cout << app.help();
  }
  MPI_Finalize();
  return 0;
}
