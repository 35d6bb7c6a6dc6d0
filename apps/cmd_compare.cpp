// ifactflow compare CASE.yaml [--set key=value ...]: candidates (LES runs, operator
// rollouts) against a reference series (filtered DNS) on the same grid: short-term error,
// long-term statistics, spectra, stability and cost, as tables and figures
// (analysis/series_comparison.hpp defines every number).
//
// Case keys: `ifactflow config compare` (read in analysis/compare_case.cpp). Alignment of each candidate with the reference:
// analysis/candidate_alignment.hpp. Cost: the candidate run's cost.csv (io/run_cost.hpp)
// beside its series, or the figures the case gives.
//
// Ranks: every rank computes the reference's statistics; the candidates are shared out
// (candidate i on rank i % size) and rank 0 writes the tables. The outputs do not depend on
// the number of ranks.
//
// Output directory (every file written atomically): the tables of
// analysis/comparison_report.hpp; series/<label>/ (profiles.csv, spectra_kx.csv,
// spectra_kz.csv, stats.h5 of each series: analysis::ChannelStatistics);
// config.resolved.yaml; figures/*.png, figures.json and report.html from
// scripts/plot_compare.py.
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "analysis/candidate_alignment.hpp"
#include "analysis/compare_case.hpp"
#include "analysis/comparison_outcome.hpp"
#include "analysis/comparison_report.hpp"
#include "analysis/field_measures.hpp"
#include "analysis/series_comparison.hpp"
#include "apps/commands.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/log.hpp"
#include "io/run_lock.hpp"
#include "io/series.hpp"

namespace iff::app {

namespace {

namespace fs = std::filesystem;
using analysis::CompareCase;
using analysis::Outcome;

/// Where scripts/plot_compare.py is: the case's output.plot_script, else beside the
/// source tree this binary was built from, else relative to the executable (build tree
/// and installed share/ifactflow/).
std::string find_plot_script(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::vector<fs::path> candidates = {fs::path(__FILE__).parent_path().parent_path() / "scripts" / "plot_compare.py"};
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
      candidates.push_back(p / "scripts" / "plot_compare.py");
      candidates.push_back(p / "share" / "ifactflow" / "plot_compare.py");
    }
  }
  for (const auto& p : candidates)
    if (fs::exists(p)) return p.string();
  return "";
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

/// Runs scripts/plot_compare.py on the output folder (rank 0); a failure is a warning.
void plot(const CompareCase& cc) {
  const std::string script = find_plot_script(cc.plot_script);
  if (script.empty()) {
    log::warn("compare: scripts/plot_compare.py not found (set output.plot_script); tables are in {}", cc.dir);
    return;
  }
  const char* py_env = std::getenv("IFF_PYTHON");
  const std::string py = py_env && *py_env ? py_env : (fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
  const std::string cmd = shell_quote(py) + " " + shell_quote(script) + " " + shell_quote(cc.dir);
  const int rc = std::system(cmd.c_str());
  if (rc != 0)
    log::warn("compare: the figures were not made ({} exited with status {}); the tables are in {}", script,
              WIFEXITED(rc) ? WEXITSTATUS(rc) : rc, cc.dir);
  else
    log::info("compare: report {}/report.html", cc.dir);
}

void run_compare(const std::string& case_file, const std::vector<std::string>& overrides, const Context& ctx) {
  Config cfg;
  const CompareCase cc = CompareCase::load(case_file, overrides, &cfg);
  FolderLock lock(cc.dir, ctx.command_line, ctx.comm);
  std::set<std::string> slugs = {"reference"};
  for (const auto& k : cc.candidates)
    IFF_CHECK_AS(ConfigError, slugs.insert(analysis::slug(k.label)).second,
                 "candidate label '" << k.label << "' is used twice (or as a folder name clashes with another)");
  // every rank checks that the inputs exist (one clear error before any work)
  IFF_REQUIRE(fs::exists(cc.reference), "reference series " << cc.reference << " does not exist");
  for (const auto& k : cc.candidates)
    IFF_REQUIRE(fs::exists(k.file), "series " << k.file << " of candidate " << k.label << " does not exist");
  ensure_directory(cc.dir);
  // every rank computes the reference's statistics and wall units (one read of the reference
  // each); candidate i is compared by rank i % size, which writes its series/<label>/ tables
  // and sends its numbers to rank 0 (analysis/comparison_outcome.hpp)
  SeriesReader ref(cc.reference);
  const analysis::FieldMeasures measures(ref.meta());
  analysis::SeriesComparison cmp(cc.reference, cc.params,
                                [&measures](const double* u) { return measures.kinetic_energy(u); });
  log::info(
      "compare: reference {} ({}x{}x{}, {} trajectories x {} snapshots, dt = {:.6g}); {} candidates over {} ranks",
      cc.reference, ref.meta().nx(), ref.meta().ny(), ref.meta().nz(), ref.meta().n_traj, ref.n_time(), cmp.dt(),
      cc.candidates.size(), ctx.size);
  log::info("compare: wall units u_tau = {:.6g}, Re_tau = {:.6g} from {}", cmp.u_tau(), cmp.re_tau(),
            cmp.wall_units().description);
  if (ctx.rank == 0) cfg.write_resolved(cc.dir + "/config.resolved.yaml");  // the reference is read: outputs begin
  const int n = static_cast<int>(cc.candidates.size());
  std::vector<Outcome> outcomes(n);
  for (int i = ctx.rank; i < n; i += ctx.size) {
    const auto& k = cc.candidates[i];
    SeriesReader r(k.file);
    Outcome& o = outcomes[i];
    o.result = cmp.compare(k.label, k.file, analysis::candidate_alignment(k, r, cmp), k.kind);
    o.tables = analysis::tables_of(*o.result.stats, cmp);
    if (o.result.stats->samples() > 0) {
      const std::string sd = cc.dir + "/series/" + analysis::slug(k.label);
      ensure_directory(sd);
      o.result.stats->write_csv(sd, cmp.re_tau(), cmp.u_tau());
      o.result.stats->write_h5(sd + "/stats.h5");
    }
    o.cost = analysis::candidate_cost(k);
  }
  analysis::gather_outcomes(outcomes, ctx.comm);
  if (ctx.rank == 0) {
    for (int i = 0; i < n; ++i) {
      const auto& res = outcomes[i].result;
      log::info(
          "compare: {}: {} trajectories, {} steps compared (rank {}), error at step {} = {}, first step over {}: {}",
          res.label, res.n_traj, static_cast<int>(res.error.size()) - 1, i % ctx.size,
          cc.params.horizons.empty() ? 0 : cc.params.horizons[0],
          res.horizon_error.empty() ? "-" : analysis::md_num(res.horizon_error[0]), cc.params.threshold,
          res.first_over < 0 ? std::string("never") : std::to_string(res.first_over));
      if (res.requested_steps >= 0)
        log::warn("compare: candidate {}: partial, {} of {} steps (an unfinished rollout; compared over the steps it holds)",
                  res.label, res.steps, res.requested_steps);
    }
    const std::string sd = cc.dir + "/series/reference";
    ensure_directory(sd);
    cmp.reference_statistics().write_csv(sd, cmp.re_tau(), cmp.u_tau());
    cmp.reference_statistics().write_h5(sd + "/stats.h5");
    analysis::write_comparison_tables(cc, cmp, outcomes);
    log::info("compare: tables in {}", cc.dir);
    if (cc.plot) plot(cc);
  }
  MPI_Barrier(ctx.comm);
}

}  // namespace

void add_compare(CLI::App& app, Context& ctx) {
  auto case_file = std::make_shared<std::string>();
  auto overrides = std::make_shared<std::vector<std::string>>();
  auto* sub = app.add_subcommand("compare",
                                 "Compare candidates (LES, rollouts) with a reference series: errors, "
                                 "statistics, spectra, cost; tables, figures and report.html");
  sub->add_option("case", *case_file, "YAML case file")->required();
  sub->add_option("--set", *overrides, "Override a case key: section.key=value (repeatable)");
  sub->callback([case_file, overrides, &ctx] { run_compare(*case_file, *overrides, ctx); });
}

}  // namespace iff::app
