// ifactflow train CASE.yaml [--set key=value ...] [--resume] [--device cpu|cuda]
//                 [--dtype float32|float64] [--threads N]
// Trains a neural operator on a series file (operators/training.hpp documents the output
// files; `ifactflow config train` lists the case keys: data.*, model.*, train.*, output.dir).
#include "apps/commands.hpp"
#include "apps/version.hpp"
#include "io/stop_signal.hpp"

#ifdef IFF_HAVE_TORCH
#include "io/compute.hpp"
#include "io/config.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/log.hpp"
#include "io/run_lock.hpp"
#include "operators/training.hpp"

namespace iff::app {

namespace {
struct TrainOptions {
  std::string case_file;
  std::vector<std::string> overrides;
  bool resume = false;
  std::string device, dtype;
  int threads = -1;
};
}  // namespace

void add_train(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<TrainOptions>();
  auto* sub = app.add_subcommand("train", "Train a neural operator (ifactformer-m | ifactformer-o | fno | ifno) on a series");
  sub->add_option("case", opt->case_file, "YAML case file (cases/demo/ifactformer-m.yaml, ...)")->required();
  sub->add_option("--set", opt->overrides, "Override a case key: section.key=value (repeatable)");
  sub->add_flag("--resume", opt->resume, "Continue from OUTPUT/last.ckpt");
  sub->add_option("--device", opt->device, "cpu or cuda (overrides train.device)")->check(CLI::IsMember(kDeviceNames.spellings()));
  sub->add_option("--dtype", opt->dtype, "float32 or float64 (overrides train.dtype)")
      ->check(CLI::IsMember(kTrainPrecisionNames.spellings()));
  sub->add_option("--threads", opt->threads, "intra-op threads per rank (overrides train.threads)")
      ->check(CLI::NonNegativeNumber);
  sub->callback([opt, &ctx] {
    auto overrides = opt->overrides;
    if (!opt->device.empty()) overrides.push_back("train.device=" + opt->device);
    if (!opt->dtype.empty()) overrides.push_back("train.dtype=" + opt->dtype);
    if (opt->threads >= 0) overrides.push_back("train.threads=" + std::to_string(opt->threads));
    auto cfg = Config::load(opt->case_file, overrides);
    auto setup = operators::TrainSetup::from(cfg);
    cfg.reject_unknown();
    FolderLock lock(setup.output_dir, ctx.command_line, ctx.comm);
    setup.config = cfg.resolved_yaml();  // written by the training once its input is read
    setup.resume = opt->resume;
    // the command that continues this run (its overrides kept, but a new learning rate)
    setup.command = "ifactflow train " + opt->case_file;
    for (const auto& o : overrides)
      if (o.rfind("train.lr=", 0) != 0) setup.command += " --set " + o;
    setup.provenance = std::string("ifactflow train ") + opt->case_file + " (git " + git_commit() + ", " +
                       std::to_string(ctx.size) + " rank(s))";
    auto s = operators::train_operator(setup, ctx.comm);
    if (s.interrupted)
      throw Interrupted(fmt::format("train: stopped by a signal after step {} (epoch {}); {} holds the state: rerun with --resume",
                                    s.steps, s.epochs, s.last_checkpoint));
    log::info("train: done, {} epoch(s), {} step(s), train loss {:.4e}, {:.2f} samples/s; {}", s.epochs, s.steps,
              s.train_loss, s.samples_per_s, s.last_checkpoint);
  });
}

}  // namespace iff::app
#endif
