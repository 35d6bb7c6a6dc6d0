// ifactflow config COMMAND [--resolved CASE.yaml [--set key=value ...]] [--markdown]
// Every key of COMMAND's case (dns, dataset, train, rollout, compare): its default, the
// values or range it accepts and its meaning with units, as the command reads it (the
// documentation is the `meaning` each component gives when it reads the key). With
// --resolved, the value each key takes in CASE.yaml instead of the default; unknown keys are
// refused as the command itself would refuse them. --markdown prints the same as a Markdown
// table (docs/case-keys.md is made of these: scripts/case_keys_doc.sh).
#include <algorithm>
#include <cstdio>
#include <functional>

#include "analysis/compare_case.hpp"
#include "apps/commands.hpp"
#include "io/config.hpp"
#include "io/error.hpp"
#include "rollout/rollout_case.hpp"
#include "solvers/channel_dataset.hpp"
#include "solvers/channel_dns.hpp"
#ifdef IFF_HAVE_TORCH
#include "operators/training.hpp"
#endif

namespace iff::app {

namespace {

/// A command's case: how its file loads, and how it is read (from any Config, the
/// documentation included).
struct CaseReader {
  using Load = std::function<Config(const std::string& path, const std::vector<std::string>& overrides)>;
  const char* command;
  std::function<void(const Config&)> read;
  Load load = [](const std::string& path, const std::vector<std::string>& overrides) {
    return Config::load(path, overrides);
  };
};

const std::vector<CaseReader>& case_readers() {
  static const std::vector<CaseReader> readers = {
      {"dns", [](const Config& c) { solvers::DnsParams::from(c); }},
      {"dataset", [](const Config& c) { solvers::DatasetParams::from(c); }},
#ifdef IFF_HAVE_TORCH
      {"train", [](const Config& c) { operators::TrainSetup::from(c); }},
#endif
      {"rollout", [](const Config& c) { rollout::RolloutCase::from(c); }},
      {"compare", [](const Config& c) { analysis::CompareCase::from(c); }, analysis::CompareCase::load_config},
  };
  return readers;
}

struct ConfigOptions {
  std::string command, resolved;
  std::vector<std::string> overrides;
  bool markdown = false;
};

std::string markdown_cell(const std::string& s) {
  std::string out;
  for (char ch : s) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

/// One line per key: key, default (or value), allowed values, meaning; or a Markdown table.
void print_keys(const std::vector<Config::KeyDoc>& docs, bool values, bool markdown) {
  std::size_t wk = 3, wv = 7, wa = 7;
  auto shown = [values](const Config::KeyDoc& d) { return values ? d.value : d.required ? "(required)" : d.fallback; };
  if (markdown) {
    std::printf("| key | %s | allowed | meaning [units] |\n|---|---|---|---|\n", values ? "value" : "default");
    for (const auto& d : docs)
      std::printf("| `%s` | %s | %s | %s |\n", d.key.c_str(), markdown_cell(shown(d)).c_str(),
                  markdown_cell(d.allowed).c_str(), markdown_cell(d.meaning).c_str());
    return;
  }
  for (const auto& d : docs) {
    wk = std::max(wk, d.key.size());
    wv = std::max(wv, shown(d).size());
    wa = std::max(wa, d.allowed.size());
  }
  std::printf("%-*s  %-*s  %-*s  %s\n", int(wk), "key", int(wv), values ? "value" : "default", int(wa), "allowed",
              "meaning [units]");
  for (const auto& d : docs)
    std::printf("%-*s  %-*s  %-*s  %s\n", int(wk), d.key.c_str(), int(wv), shown(d).c_str(), int(wa),
                d.allowed.c_str(), d.meaning.c_str());
}

}  // namespace

void add_config(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<ConfigOptions>();
  std::vector<std::string> names;
  for (const auto& r : case_readers()) names.emplace_back(r.command);
  auto* sub = app.add_subcommand("config", "Every case key of a command: default, allowed values, meaning and units");
  sub->add_option("command", opt->command, "the command whose case keys to list")
      ->required()
      ->check(CLI::IsMember(names));
  sub->add_option("--resolved", opt->resolved, "a case file: print the value each key takes in it");
  sub->add_option("--set", opt->overrides, "Override a case key of --resolved: section.key=value (repeatable)");
  sub->add_flag("--markdown", opt->markdown, "Print a Markdown table");
  sub->callback([opt, &ctx] {
    const auto& readers = case_readers();
    const auto it = std::find_if(readers.begin(), readers.end(),
                                 [&](const CaseReader& r) { return opt->command == r.command; });
    IFF_CHECK_AS(ConfigError, opt->overrides.empty() || !opt->resolved.empty(), "config: --set needs --resolved CASE.yaml");
    Config cfg = opt->resolved.empty() ? Config::documentation() : it->load(opt->resolved, opt->overrides);
    it->read(cfg);
    if (!opt->resolved.empty()) cfg.reject_unknown();
    if (ctx.rank == 0) print_keys(cfg.key_docs(), !opt->resolved.empty(), opt->markdown);
  });
}

}  // namespace iff::app
