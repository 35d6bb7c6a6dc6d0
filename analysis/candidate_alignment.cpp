#include "analysis/candidate_alignment.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "io/error.hpp"

namespace iff::analysis {

namespace fs = std::filesystem;

namespace {

/// The resolved configuration stored in a series (empty node when absent or unreadable).
YAML::Node series_config(const SeriesReader& r) {
  try {
    if (!r.meta().config.empty()) return YAML::Load(r.meta().config);
  } catch (const YAML::Exception&) {
  }
  return YAML::Node();
}

template <class T>
T yaml_get(const YAML::Node& n, const std::string& section, const std::string& key, T fallback) {
  try {
    if (n.IsMap() && n[section] && n[section].IsMap() && n[section][key]) return n[section][key].as<T>();
  } catch (const YAML::Exception&) {
  }
  return fallback;
}

}  // namespace

std::vector<TrajectoryAlignment> candidate_alignment(const CandidateCase& k, const SeriesReader& r,
                                                     const SeriesComparison& cmp) {
  const int n = r.meta().n_traj;
  const int n_ref = cmp.reference().meta().n_traj, nt_ref = cmp.reference().n_time();
  const std::string who = "candidate " + k.label + " (" + k.file + ")";
  auto expand = [&](const std::vector<int>& v, const char* key) {
    IFF_CHECK_AS(ConfigError, v.size() == 1 || static_cast<int>(v.size()) == n,
                 who << ": " << key << " has " << v.size() << " entries for " << n << " trajectories");
    return v.size() == 1 ? std::vector<int>(n, v[0]) : v;
  };
  std::vector<TrajectoryAlignment> a(n);
  const YAML::Node cfg = series_config(r);
  const bool prediction = r.file().exists("/initial_time");
  const bool from_series = yaml_get<std::string>(cfg, "initial", "type", "") == "series";
  // trajectories
  if (!k.trajectories.empty()) {
    const auto t = expand(k.trajectories, "trajectories");
    for (int c = 0; c < n; ++c) a[c].ref_traj = t[c];
  } else if (prediction) {
    const auto initial = yaml_get<std::string>(cfg, "rollout", "initial", "all");
    const auto states = yaml_get<std::vector<int>>(cfg, "rollout", "states", {});
    for (int c = 0; c < n; ++c)
      a[c].ref_traj = (initial == "list" && static_cast<int>(states.size()) == 2 * n)
                          ? states[2 * c]
                          : (initial == "held_out" && n < n_ref ? n_ref - n + c : c);
  } else if (from_series) {
    for (int c = 0; c < n; ++c) a[c].ref_traj = yaml_get<int>(cfg, "initial", "trajectory", 0);
  } else {
    IFF_REQUIRE(n <= n_ref, who << " has " << n << " trajectories, the reference " << cmp.reference().path() << " has "
                                << n_ref << "; set candidates.N.trajectories");
    for (int c = 0; c < n; ++c) a[c].ref_traj = c;
  }
  // start indices
  if (!k.start_index.empty()) {
    const auto s = expand(k.start_index, "start_index");
    for (int c = 0; c < n; ++c) a[c].ref_start = s[c] < 0 ? nt_ref + s[c] : s[c];
  } else if (prediction) {
    const auto t0 = r.file().read_vector("/initial_time");
    IFF_REQUIRE(static_cast<int>(t0.size()) == n, who << ": /initial_time has " << t0.size() << " entries");
    for (int c = 0; c < n; ++c) a[c].ref_start = cmp.reference_index_of(t0[c] + r.times()[0], who);
  } else if (from_series) {
    // the time of the initial snapshot in the run's initial file, matched in the reference
    // (the index itself when that file is not at hand)
    const int ti = yaml_get<int>(cfg, "initial", "time_index", -1);
    const auto src_file = yaml_get<std::string>(cfg, "initial", "file", "");
    int start = ti < 0 ? nt_ref + ti : ti;
    if (!src_file.empty() && fs::exists(src_file)) {
      SeriesReader src(src_file);
      const int si = ti < 0 ? src.n_time() + ti : ti;
      IFF_REQUIRE(si >= 0 && si < src.n_time(),
                  who << ": initial.time_index " << ti << " is outside its initial file " << src_file);
      start = cmp.reference_index_of(src.times()[si], who);
    }
    for (int c = 0; c < n; ++c) a[c].ref_start = start;
  } else {
    for (int c = 0; c < n; ++c) a[c].ref_start = cmp.reference_index_of(r.times()[0], who);
  }
  return a;
}

}  // namespace iff::analysis
