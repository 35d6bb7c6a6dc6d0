// ifactflow dataset CASE.yaml [--set key=value ...]: an ensemble of decorrelated DNS
// trajectories filtered onto a coarse grid as they run (solvers/channel_dataset.hpp documents
// the method, the parallel layout, the outputs and resuming).
//
// IFF_DATASET_KILL_AFTER=N (testing): the process kills itself with SIGKILL once N snapshots
// have been written and counted, as a job killed by a scheduler would be (no clean-up);
// IFF_DATASET_SIGNAL_AFTER=N: rank 0 raises SIGTERM then (apps/test_hooks.hpp). Snapshots
// are counted a collective write at a time (one snapshot per group taking one): both act
// after the write at which the count reaches or passes N (with 2 groups, N = 3 and N = 4
// both act after the second write).
#include <csignal>
#include <cstdlib>

#include "apps/commands.hpp"
#include "apps/version.hpp"
#include "io/config.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/run_lock.hpp"
#include "apps/test_hooks.hpp"
#include "solvers/channel_dataset.hpp"

namespace iff::app {

namespace {
struct DatasetOptions {
  std::string case_file;
  std::vector<std::string> overrides;
};

}  // namespace

void add_dataset(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<DatasetOptions>();
  auto* sub = app.add_subcommand("dataset", "Ensemble of DNS trajectories filtered onto a coarse grid (training set)");
  sub->add_option("case", opt->case_file, "YAML case file (cases/demo/dataset.yaml, ...)")->required();
  sub->add_option("--set", opt->overrides, "Override a case key: section.key=value (repeatable)");
  sub->callback([opt, &ctx] {
    auto cfg = Config::load(opt->case_file, opt->overrides);
    auto params = solvers::DatasetParams::from(cfg);
    cfg.reject_unknown();
    const TestHooks hooks("DATASET");
    FolderLock lock(params.dir, ctx.command_line, ctx.comm);
    params.resolved_config = cfg.resolved_yaml();  // written by the run once its input is read
    params.git_commit = git_commit();
    solvers::ChannelDataset dataset(params, ctx.comm);
    if (hooks.kill_after > 0 || hooks.signal_after > 0)
      dataset.set_snapshot_hook([hooks, rank = ctx.rank, before = 0L](long written) mutable {
        hooks.at(written, rank, before);
        before = written;
      });
    dataset.run();
  });
}

}  // namespace iff::app
