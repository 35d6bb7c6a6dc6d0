#include "analysis/compare_case.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>

#include "io/error.hpp"

namespace iff::analysis {

namespace {

const std::vector<std::string> kKinds = {"", "dns", "fdns", "les-dsm", "les-wale", "les-smagorinsky", "prediction"};

/// Loads the case; the `candidates` list becomes a map keyed 0, 1, ... so that every key
/// is addressable by Config (reading, --set, unknown-key rejection).
Config load_case(const std::string& path, const std::vector<std::string>& overrides, int* n_candidates) {
  std::ifstream in(path);
  IFF_CHECK_AS(InputError, in.good(), "case file " << path << " cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(ss.str());
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ": not valid YAML: " + e.what());
  }
  int n = 0;
  if (root.IsMap() && root["candidates"] && root["candidates"].IsSequence()) {
    YAML::Node map(YAML::NodeType::Map);
    for (const auto& item : root["candidates"]) map[std::to_string(n++)] = YAML::Node(item);
    root["candidates"] = map;
  } else if (root.IsMap() && root["candidates"] && root["candidates"].IsMap()) {
    n = static_cast<int>(root["candidates"].size());
  }
  // --set may add candidates beyond the file's list
  for (const auto& o : overrides) {
    std::smatch mt;
    static const std::regex re(R"(^candidates\.(\d+)\.)");
    if (std::regex_search(o, mt, re)) n = std::max(n, std::stoi(mt[1]) + 1);
  }
  *n_candidates = n;
  YAML::Emitter e;
  e << root;
  return Config::from_string(e.c_str(), path, overrides);
}

CompareCase read_case(const Config& cfg, int n_candidates) {
  CompareCase c;
  auto top = cfg.section("");
  auto ref = cfg.section("reference");
  c.reference = ref.require<std::string>("file");
  c.reference_label = ref.get<std::string>("label", c.reference_label);
  IFF_CHECK_AS(ConfigError, n_candidates > 0, "case has no candidates (a list of {label, file})");
  for (int i = 0; i < n_candidates; ++i) {
    auto s = cfg.section("candidates").section(std::to_string(i));
    CandidateCase k;
    k.label = s.require<std::string>("label");
    k.file = s.require<std::string>("file");
    k.kind = s.get_choice("kind", "", kKinds);
    k.trajectories = s.get<std::vector<int>>("trajectories", {});
    k.start_index = s.get<std::vector<int>>("start_index", {});
    auto cs = s.section("cost");
    if (cs.has("wall_seconds")) k.cost.wall_seconds = cs.get_in<double>("wall_seconds", 0.0, 0.0, 1e12);
    if (cs.has("simulated_time")) k.cost.simulated_time = cs.get_in<double>("simulated_time", 0.0, 0.0, 1e12);
    if (cs.has("ranks")) k.cost.ranks = cs.get_in<int>("ranks", 0, 1, 1 << 24);
    if (cs.has("threads")) k.cost.threads = cs.get_in<int>("threads", 0, 1, 1 << 16);
    c.candidates.push_back(std::move(k));
  }
  auto& p = c.params;
  p.horizons = top.get<std::vector<int>>("horizons", p.horizons);
  for (int h : p.horizons) IFF_CHECK_AS(ConfigError, h >= 0, "horizons: steps must be >= 0, got " << h);
  p.threshold = top.get_in<double>("threshold", p.threshold, 1e-12, 1e12);
  p.spectra_y_plus = top.get<std::vector<double>>("spectra_y_plus", p.spectra_y_plus);
  p.statistics_start = top.get_in<int>("statistics_start", 0, 0, 1 << 30);
  p.reference_statistics_start = top.get_in<int>("reference_statistics_start", 0, 0, 1 << 30);
  p.time_tolerance = top.get_in<double>("time_tolerance", p.time_tolerance, 1e-12, 0.49);
  p.re_tau = top.get_in<double>("re_tau", 0.0, 0.0, 1e7);
  auto sl = cfg.section("slice");
  p.slice_y_plus = sl.get_in<double>("y_plus", p.slice_y_plus, 0.0, 1e7);
  p.slice_step = sl.get_in<int>(
      "step", p.horizons.empty() ? 10 : *std::max_element(p.horizons.begin(), p.horizons.end()), 0, 1 << 30);
  auto o = cfg.section("output");
  c.dir = o.get<std::string>("dir", c.dir);
  c.plot = o.get<bool>("plot", true);
  c.plot_script = o.get<std::string>("plot_script", "");
  return c;
}

}  // namespace

CompareCase CompareCase::load(const std::string& path, const std::vector<std::string>& overrides, Config* resolved) {
  int n_candidates = 0;
  Config cfg = load_case(path, overrides, &n_candidates);
  CompareCase c = read_case(cfg, n_candidates);
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

}  // namespace iff::analysis
