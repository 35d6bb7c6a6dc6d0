#include "analysis/compare_case.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "io/error.hpp"
#include "io/run_cost.hpp"

namespace iff::analysis {

namespace {

const std::vector<std::string> kKinds = {"", "dns", "fdns", "les-dsm", "les-wale", "les-smagorinsky", "prediction"};

}  // namespace

Config CompareCase::load_config(const std::string& path, const std::vector<std::string>& overrides) {
  return Config::load(path, overrides, [](YAML::Node& root) {
    if (root["candidates"] && root["candidates"].IsSequence()) {
      YAML::Node map(YAML::NodeType::Map);
      int n = 0;
      for (const auto& item : root["candidates"]) map[std::to_string(n++)] = YAML::Node(item);
      root["candidates"] = map;
    }
  });
}

CompareCase CompareCase::from(const Config& cfg) {
  CompareCase c;
  // candidates 0 .. the highest index given (by the list or --set candidates.N.KEY); the
  // documentation lists one candidate's keys
  int n_candidates = cfg.documenting() ? 1 : 0;
  for (const auto& k : cfg.section("candidates").keys()) {
    IFF_CHECK_AS(ConfigError, !k.empty() && k.find_first_not_of("0123456789") == std::string::npos && k.size() < 7,
                 "candidates." << k << " in " << cfg.path() << ": candidates is a list (address one by its index)");
    n_candidates = std::max(n_candidates, std::stoi(k) + 1);
  }
  auto top = cfg.section("");
  auto ref = cfg.section("reference");
  c.reference = ref.require_path("file", "the reference series (data contract): usually the held-out filtered DNS");
  c.reference_label = ref.get<std::string>("label", c.reference_label, "the reference's name in tables and figures");
  IFF_CHECK_AS(ConfigError, n_candidates > 0, "case has no candidates (a list of {label, file})");
  for (int i = 0; i < n_candidates; ++i) {
    auto s = cfg.section("candidates").section(std::to_string(i));
    CandidateCase k;
    k.label = s.require<std::string>("label", "the candidate's name in tables and figures (unique)");
    k.file = s.require_path("file", "the candidate's series (a rollout's prediction.h5, an LES's snapshots.h5)");
    k.kind = s.get_choice("kind", "", kKinds, "how to label the candidate (default: the file's kind)");
    k.trajectories = s.get<std::vector<int>>("trajectories", {}, "reference trajectory of each candidate trajectory (one value: all; default: from the file)");
    k.start_index = s.get<std::vector<int>>("start_index", {}, "reference time index of each candidate trajectory's snapshot 0 (negative: from the end; default: from the file)");
    auto cs = s.section("cost");
    if (cs.has("wall_seconds") || cfg.documenting()) k.cost.wall_seconds = cs.get_in<double>("wall_seconds", 0.0, 0.0, 1e12, "cost given by hand: wall-clock seconds of the run's time loop (default: the run's cost.csv)");
    if (cs.has("simulated_time") || cfg.documenting()) k.cost.simulated_time = cs.get_in<double>("simulated_time", 0.0, 0.0, 1e12, "cost given by hand: simulated time the run advanced, all trajectories together [case time units]");
    if (cs.has("ranks") || cfg.documenting()) k.cost.ranks = cs.get_in<int>("ranks", 0, 1, 1 << 24, "cost given by hand: MPI ranks of the run");
    if (cs.has("threads") || cfg.documenting()) k.cost.threads = cs.get_in<int>("threads", 0, 1, 1 << 16, "cost given by hand: threads per rank of the run");
    c.candidates.push_back(std::move(k));
  }
  auto& p = c.params;
  p.horizons = top.get<std::vector<int>>("horizons", p.horizons, "steps at which the short-term error is tabulated");
  for (int h : p.horizons) IFF_CHECK_AS(ConfigError, h >= 0, "horizons: steps must be >= 0, got " << h);
  p.threshold = top.get_in<double>("threshold", p.threshold, 1e-12, 1e12, "error level of the first step over it, the time to decorrelation");
  p.spectra_y_plus = top.get<std::vector<double>>("spectra_y_plus", p.spectra_y_plus, "wall distances y+ of the x and z spectra");
  p.statistics_start = top.get_in<int>("statistics_start", 0, 0, 1 << 30, "first candidate step of the long-term statistics");
  p.reference_statistics_start = top.get_in<int>("reference_statistics_start", 0, 0, 1 << 30, "first reference time index of the long-term statistics");
  p.time_tolerance = top.get_in<double>("time_tolerance", p.time_tolerance, 1e-12, 0.49, "largest time mismatch of aligned snapshots [reference snapshot intervals]");
  p.re_tau = top.get_in<double>("re_tau", 0.0, 0.0, 1e7, "Re_tau of the wall units (0: the reference's records)");
  auto sl = cfg.section("slice");
  p.slice_y_plus = sl.get_in<double>("y_plus", p.slice_y_plus, 0.0, 1e7, "wall distance y+ of the x-z slice figure");
  p.slice_step = sl.get_in<int>(
      "step", p.horizons.empty() ? 10 : *std::max_element(p.horizons.begin(), p.horizons.end()), 0, 1 << 30, "steps after the initial state of the slice figure (default: the largest horizon)");
  auto o = cfg.section("output");
  c.dir = o.get_path("dir", c.dir, "output folder: tables, series statistics, figures, report.html");
  c.plot = o.get<bool>("plot", true, "draw the figures and report.html (scripts/plot_compare.py)");
  c.plot_script = o.get_path("plot_script", "", "the plot script (default: found beside the build or the installed executable)");
  return c;
}

CompareCase CompareCase::load(const std::string& path, const std::vector<std::string>& overrides, Config* resolved) {
  Config cfg = load_config(path, overrides);
  CompareCase c = from(cfg);
  cfg.reject_unknown();
  if (resolved) *resolved = std::move(cfg);
  return c;
}

/// A label as a folder name: characters other than [A-Za-z0-9._-] become '_'.
std::string slug(const std::string& label) {
  std::string s;
  for (char ch : label) s += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-') ? ch : '_';
  return s.empty() ? "_" : s;
}

/// The cost of a candidate run: its cost.csv beside the series (io/run_cost.hpp), with the
/// figures the case gives in its place.
Cost candidate_cost(const CandidateCase& k) {
  Cost c;
  const std::filesystem::path record = std::filesystem::path(k.file).parent_path() / "cost.csv";
  if (std::filesystem::exists(record)) {
    const RunCost rc = read_run_cost(record.string());
    c.wall_seconds = rc.wall_seconds;
    c.simulated_time = rc.simulated_time;
    if (rc.trajectory_time) c.trajectory_time = *rc.trajectory_time;
    c.ranks = rc.ranks;
    c.threads = rc.threads_per_rank;
    c.source = record.string();
  }
  // figures the case gives replace the record's; a simulated time given is all trajectories'
  const bool by_case = std::isfinite(k.cost.wall_seconds) || std::isfinite(k.cost.simulated_time) ||
                       k.cost.ranks > 0 || k.cost.threads > 0;
  if (std::isfinite(k.cost.wall_seconds)) c.wall_seconds = k.cost.wall_seconds;
  if (std::isfinite(k.cost.simulated_time)) {
    c.simulated_time = k.cost.simulated_time;
    c.trajectory_time = std::numeric_limits<double>::quiet_NaN();
  }
  if (k.cost.ranks > 0) c.ranks = k.cost.ranks;
  if (k.cost.threads > 0) c.threads = k.cost.threads;
  if (by_case) c.source = "case";
  if (c.source.empty()) c.source = "no cost.csv";
  return c;
}

}  // namespace iff::analysis
