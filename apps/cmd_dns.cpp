// ifactflow dns CASE.yaml [--set key=value ...]: spectral DNS of channel flow (solvers/
// channel_dns.hpp documents the output files; `ifactflow config dns` lists the case keys).
//
// IFF_DNS_KILL_AFTER=N, IFF_DNS_SIGNAL_AFTER=N (testing, apps/test_hooks.hpp): SIGKILL, or
// SIGTERM to rank 0, at the boundary after step N.
#include "apps/commands.hpp"
#include "apps/version.hpp"
#include "io/config.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/log.hpp"
#include "io/run_cost.hpp"
#include "io/run_lock.hpp"
#include "apps/test_hooks.hpp"
#include "solvers/channel_dns.hpp"

namespace iff::app {

namespace {
struct DnsOptions {
  std::string case_file;
  std::vector<std::string> overrides;
};
}  // namespace

void add_dns(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<DnsOptions>();
  auto* sub = app.add_subcommand("dns", "Spectral DNS of turbulent channel flow (Fourier-Chebyshev-Fourier, KMM, SBDF3)");
  sub->add_option("case", opt->case_file, "YAML case file (cases/demo/dns.yaml, ...)")->required();
  sub->add_option("--set", opt->overrides, "Override a case key: section.key=value (repeatable)");
  sub->callback([opt, &ctx] {
    auto cfg = Config::load(opt->case_file, opt->overrides);
    auto params = solvers::DnsParams::from(cfg);
    cfg.reject_unknown();
    const TestHooks hooks("DNS");
    FolderLock lock(params.output.dir, ctx.command_line, ctx.comm);
    params.resolved_config = cfg.resolved_yaml();  // written by the run once its input is read
    params.git_commit = git_commit();
    solvers::ChannelDns dns(params, ctx.comm);
    if (hooks.kill_after > 0 || hooks.signal_after > 0)
      dns.set_step_hook([hooks, rank = ctx.rank](long step) { hooks.at(step, rank); });
    const auto sum = dns.run();
    // cost.csv: the time loop of this run per unit simulated time (ifactflow compare reads it)
    double loop = sum.loop_seconds, slowest = 0.0;
    MPI_Allreduce(&loop, &slowest, 1, MPI_DOUBLE, MPI_MAX, ctx.comm);
    if (ctx.rank == 0) {
      RunCost cost;
      const bool les = params.sgs.model != solvers::SgsModelKind::none;
      cost.command = les ? "les" : "dns";
      cost.model = les ? "les-" + solvers::to_string(params.sgs.model) : "dns";
      cost.ranks = ctx.size;
      cost.threads_per_rank = 1;  // FFTW and the solver run one thread per rank
      cost.steps = sum.steps - sum.first_step;
      cost.simulated_time = sum.time - sum.start_time;
      cost.wall_seconds = slowest;
      write_run_cost(params.output.dir + "/cost.csv", cost);
    }
  });
}

}  // namespace iff::app
