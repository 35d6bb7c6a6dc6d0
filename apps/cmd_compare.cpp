// ifactflow compare CASE.yaml [--set key=value ...]: candidates (LES runs, operator
// rollouts) against a reference series (filtered DNS) on the same grid: short-term error,
// long-term statistics, spectra, stability and cost, as tables and figures
// (analysis/series_comparison.hpp defines every number).
//
// Case keys:
//   reference: {file, label}                      the reference series (data contract)
//   candidates: [{label, file, kind, log, trajectories, start_index,
//                 cost: {wall_seconds, simulated_time, ranks, threads}}, ...]
//       kind          how to label the series (default: the file's `kind` attribute)
//       log           captured stdout/stderr of the run that wrote it (cost is read from it)
//       trajectories  reference trajectory of each candidate trajectory
//       start_index   reference time index of each candidate trajectory's snapshot 0
//                     (default for both: from the file — a rollout's /initial_time and its
//                     rollout.states; an LES's initial.trajectory and initial.time_index;
//                     otherwise trajectory c and the reference snapshot at the same time)
//       cost          figures given by hand (override what the log says)
//   horizons: [1, 10, 100]   threshold: 0.5   spectra_y_plus: [15]
//   statistics_start: 0 (first step of each candidate in its statistics)
//   reference_statistics_start: 0 (first time index of the reference in its statistics)
//   time_tolerance: 1e-3 (snapshot intervals)   re_tau: 0 (override; 0: the reference's
//   wall-unit records, else its own wall shear: analysis/wall_units.hpp)
//   slice: {y_plus: 15, step: 10}
//   output: {dir, plot: true, plot_script: ""}
// `--set candidates.1.file=...` addresses the second candidate.
//
// Ranks: every rank computes the reference's statistics; the candidates are shared out
// (candidate i on rank i % size) and rank 0 writes the tables. The outputs do not depend on
// the number of ranks.
//
// Output directory (every file written atomically):
//   summary.csv, summary.md           one row per candidate
//   error_vs_time.csv                 series,step,t,err_total,err_u,err_v,err_w,trajectories
//   energy_vs_time.csv                series,step,t,kinetic_energy,reference_kinetic_energy,trajectories
//   profiles.csv                      series,y,y_plus,U_plus,u_rms_plus,v_rms_plus,w_rms_plus,minus_uv_plus
//   spectra.csv                       series,axis,y,y_plus,k,E_uu,E_vv,E_ww
//   slice.h5                          x-z slices of u at y+ ~ slice.y_plus after slice.step steps:
//                                     /candidate_i and the reference snapshot it is compared with,
//                                     /reference_i (trajectory 0 of each candidate)
//   series/<label>/                   profiles.csv, spectra_kx.csv, spectra_kz.csv, stats.h5 of
//                                     each series (analysis::ChannelStatistics)
//   config.resolved.yaml
//   figures/*.png, figures.json, report.html   from scripts/plot_compare.py
#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "apps/commands.hpp"
#include "analysis/field_measures.hpp"
#include "io/config.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/h5.hpp"
#include "io/log.hpp"
#include "io/run_cost.hpp"
#include "io/run_lock.hpp"
#include "io/series.hpp"
#include "analysis/series_comparison.hpp"

namespace iff::app {

namespace {

namespace fs = std::filesystem;
using analysis::CandidateResult;
using analysis::TrajectoryAlignment;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Cost of a run: wall-clock of its time loop, the simulated time it advanced (all its
/// trajectories together, as io/run_cost.hpp records it), ranks, threads per rank.
struct Cost {
  double wall_seconds = kNaN;
  double simulated_time = kNaN;
  int ranks = 0, threads = 0;
  std::string source;  ///< where the figures come from
};

struct CandidateCase {
  std::string label, file, kind, log;
  std::vector<int> trajectories, start_index;
  Cost cost;  // figures given in the case (NaN / 0 when absent)
};

struct CompareCase {
  std::string reference, reference_label = "filtered DNS";
  std::vector<CandidateCase> candidates;
  analysis::ComparisonParams params;
  std::string dir = "out/compare";
  bool plot = true;
  std::string plot_script;
};

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
    k.log = s.get<std::string>("log", "");
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

/// A label as a folder name: characters other than [A-Za-z0-9._-] become '_'.
std::string slug(const std::string& label) {
  std::string s;
  for (char ch : label) s += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-') ? ch : '_';
  return s.empty() ? "_" : s;
}

/// "12.3s", "4m05s", "1h02m" (io/log.cpp format_duration) in seconds; NaN for "?".
double parse_duration(const std::string& s) {
  std::smatch m;
  static const std::regex sec(R"(^([0-9.]+)s$)"), min(R"(^(\d+)m(\d+)s$)"), hour(R"(^(\d+)h(\d+)m$)");
  if (std::regex_match(s, m, sec)) return std::stod(m[1]);
  if (std::regex_match(s, m, min)) return 60.0 * std::stod(m[1]) + std::stod(m[2]);
  if (std::regex_match(s, m, hour)) return 3600.0 * std::stod(m[1]) + 60.0 * std::stod(m[2]);
  return kNaN;
}

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

/// Reads wall-clock, ranks and threads of a run from its captured log (lines of the dns and
/// rollout commands) and, for dns/LES, the simulated time from timeseries.csv beside it.
Cost cost_from_log(const CandidateCase& k, const SeriesReader& r) {
  Cost c;
  if (k.log.empty()) return c;
  std::ifstream in(k.log);
  if (!in.good()) {  // the cost is optional: the comparison goes on without it
    log::warn("compare: log {} of candidate {} cannot be read; no cost for it", k.log, k.label);
    c.source = "log " + k.log + " missing";
    return c;
  }
  static const std::regex dns_start(R"(dns: \S+ modes .*, (\d+) ranks, )"),
      dns_done(R"(dns: done, (\d+) steps to t = ([-0-9.eE+]+) in (\S+);)"),
      roll_start(R"(rollout: (\d+) initial states over (\d+) ranks, (\d+) steps of dt = ([-0-9.eE+]+))"),
      roll_progress(R"(rollout (\d+)/(\d+) .*elapsed (\S+), ETA)");
  std::string line;
  double dns_t = kNaN, roll_dt = kNaN;
  int roll_steps = 0;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, dns_start)) c.ranks = std::stoi(m[1]), c.source = "dns log";
    if (std::regex_search(line, m, dns_done)) dns_t = std::stod(m[2]), c.wall_seconds = parse_duration(m[3]);
    if (std::regex_search(line, m, roll_start)) {
      c.ranks = std::stoi(m[2]), roll_steps = std::stoi(m[3]), roll_dt = std::stod(m[4]);
      c.source = "rollout log";
    }
    if (std::regex_search(line, m, roll_progress) && m[1] == m[2]) c.wall_seconds = parse_duration(m[3]);
  }
  const YAML::Node cfg = series_config(r);
  if (c.source == "dns log") {
    c.threads = 1;  // the DNS/LES runs one thread per rank
    c.simulated_time = dns_t;
    // the run's own time series gives the simulated span when it is there
    const fs::path ts = fs::path(k.file).parent_path() / "timeseries.csv";
    std::ifstream t(ts);
    std::string row, first, last;
    if (t && std::getline(t, row)) {
      while (std::getline(t, row)) {
        if (row.empty()) continue;
        if (first.empty()) first = row;
        last = row;
      }
      auto time_of = [](const std::string& s) {
        const auto a = s.find(','), b = s.find(',', a + 1);
        return std::stod(s.substr(a + 1, b - a - 1));
      };
      if (!first.empty()) c.simulated_time = time_of(last) - time_of(first), c.source += " + timeseries.csv";
    }
  } else if (c.source == "rollout log") {
    c.simulated_time = roll_steps * roll_dt;  // all its trajectories advance together
    c.threads = yaml_get<int>(cfg, "rollout", "threads", 0);
  } else {
    c.source = "no dns/rollout lines in " + k.log;
  }
  return c;
}

/// The reference snapshot each candidate trajectory starts from (see the header comment).
std::vector<TrajectoryAlignment> alignment_of(const CandidateCase& k, const SeriesReader& r,
                                              const analysis::SeriesComparison& cmp) {
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

std::string num(double v, const char* f = "{:.10g}") { return std::isfinite(v) ? fmt::format(fmt::runtime(f), v) : ""; }
std::string md_num(double v, const char* f = "{:.4g}") {
  return std::isfinite(v) ? fmt::format(fmt::runtime(f), v) : (std::isnan(v) ? "—" : "inf");
}

/// A CSV field: quoted (RFC 4180) when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char ch : v) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

/// A Markdown table cell: '|' escaped.
std::string md_cell(const std::string& v) {
  std::string o;
  for (char ch : v) o += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return o;
}

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

/// Profiles (reference wall units) and spectra of one series, as the tables need them.
struct SeriesTables {
  long samples = 0;
  std::array<std::vector<double>, 5> profiles;             ///< per kProfileNames
  std::vector<std::array<std::vector<double>, 3>> ex, ez;  ///< per spectra height: E_uu, E_vv, E_ww
};

SeriesTables tables_of(const analysis::ChannelStatistics& st, const analysis::SeriesComparison& cmp) {
  SeriesTables t;
  t.samples = st.samples();
  t.profiles = cmp.profiles(st);
  for (std::size_t s = 0; s < cmp.spectra_indices().size(); ++s) {
    t.ex.emplace_back();
    t.ez.emplace_back();
    for (int c = 0; c < 3; ++c) t.ex.back()[c] = st.spectrum_x(c, int(s)), t.ez.back()[c] = st.spectrum_z(c, int(s));
  }
  return t;
}

/// What one candidate contributes to the outputs (computed on the rank that owns it).
struct Outcome {
  CandidateResult result;
  SeriesTables tables;
  Cost cost;
};

/// Flat message of doubles (integers and characters are exact in a double).
struct Packer {
  std::vector<double> d;
  void put(double v) { d.push_back(v); }
  void put(const std::vector<double>& v) {
    put(double(v.size()));
    d.insert(d.end(), v.begin(), v.end());
  }
  void put(const std::vector<int>& v) {
    put(double(v.size()));
    d.insert(d.end(), v.begin(), v.end());
  }
  void put(const std::string& v) {
    put(double(v.size()));
    for (char ch : v) d.push_back(static_cast<unsigned char>(ch));
  }
};

struct Unpacker {
  const std::vector<double>& d;
  std::size_t at = 0;
  double num() { return d.at(at++); }
  int integer() { return static_cast<int>(num()); }
  std::vector<double> vec() {
    const auto n = static_cast<std::size_t>(num());
    std::vector<double> v(d.begin() + at, d.begin() + at + n);
    at += n;
    return v;
  }
  std::vector<int> ints() {
    const auto v = vec();
    return std::vector<int>(v.begin(), v.end());
  }
  std::string str() {
    std::string v;
    for (double x : vec()) v += static_cast<char>(static_cast<unsigned char>(x));
    return v;
  }
};

std::vector<double> pack(const Outcome& o) {
  Packer p;
  const auto& r = o.result;
  p.put(r.label), p.put(r.file), p.put(r.kind), p.put(r.n_traj), p.put(r.steps), p.put(r.completed);
  p.put(r.requested_steps);
  p.put(double(r.alignment.size()));
  for (const auto& a : r.alignment) p.put(a.ref_traj), p.put(a.ref_start);
  p.put(r.dt), p.put(r.error);
  for (const auto& e : r.error_c) p.put(e);
  p.put(r.error_fluct);
  p.put(r.count), p.put(r.energy), p.put(r.energy_ref), p.put(r.horizon_error), p.put(r.first_over);
  for (const auto& e : r.horizon_error_c) p.put(e);
  p.put(r.horizon_error_fluct);
  p.put(r.first_over_by_stop ? 1.0 : 0.0);
  for (double e : r.stats_error) p.put(e);
  p.put(r.u_tau_own), p.put(r.re_tau_own), p.put(r.slice_step), p.put(r.slice), p.put(r.slice_ref);
  const auto& t = o.tables;
  p.put(double(t.samples));
  for (const auto& v : t.profiles) p.put(v);
  p.put(double(t.ex.size()));
  for (std::size_t s = 0; s < t.ex.size(); ++s)
    for (int c = 0; c < 3; ++c) p.put(t.ex[s][c]), p.put(t.ez[s][c]);
  p.put(o.cost.wall_seconds), p.put(o.cost.simulated_time), p.put(o.cost.ranks), p.put(o.cost.threads);
  p.put(o.cost.source);
  return p.d;
}

Outcome unpack(const std::vector<double>& d) {
  Unpacker u{d};
  Outcome o;
  auto& r = o.result;
  r.label = u.str(), r.file = u.str(), r.kind = u.str();
  r.n_traj = u.integer(), r.steps = u.integer(), r.completed = u.ints();
  r.requested_steps = u.integer();
  r.alignment.resize(u.integer());
  for (auto& a : r.alignment) a.ref_traj = u.integer(), a.ref_start = u.integer();
  r.dt = u.num(), r.error = u.vec();
  for (auto& e : r.error_c) e = u.vec();
  r.error_fluct = u.vec();
  r.count = u.ints(), r.energy = u.vec(), r.energy_ref = u.vec(), r.horizon_error = u.vec();
  r.first_over = u.integer();
  for (auto& e : r.horizon_error_c) e = u.vec();
  r.horizon_error_fluct = u.vec();
  r.first_over_by_stop = u.num() != 0.0;
  for (double& e : r.stats_error) e = u.num();
  r.u_tau_own = u.num(), r.re_tau_own = u.num(), r.slice_step = u.integer(), r.slice = u.vec(), r.slice_ref = u.vec();
  auto& t = o.tables;
  t.samples = static_cast<long>(u.num());
  for (auto& v : t.profiles) v = u.vec();
  t.ex.resize(u.integer());
  t.ez.resize(t.ex.size());
  for (std::size_t s = 0; s < t.ex.size(); ++s)
    for (int c = 0; c < 3; ++c) t.ex[s][c] = u.vec(), t.ez[s][c] = u.vec();
  o.cost.wall_seconds = u.num(), o.cost.simulated_time = u.num(), o.cost.ranks = u.integer();
  o.cost.threads = u.integer(), o.cost.source = u.str();
  IFF_CHECK(u.at == d.size(), "compare: candidate message of " << d.size() << " values read up to " << u.at);
  return o;
}

void write_outputs(const CompareCase& cc, const analysis::SeriesComparison& cmp, const std::vector<Outcome>& outcomes) {
  std::vector<CandidateResult> res;
  std::vector<Cost> costs;
  for (const auto& o : outcomes) res.push_back(o.result), costs.push_back(o.cost);
  const auto& rm = cmp.reference().meta();
  const auto& p = cc.params;
  const std::string& dir = cc.dir;
  const double re_tau = cmp.re_tau(), u_tau = cmp.u_tau();
  auto y_plus = [&](double y) { return re_tau > 0 ? (1.0 - std::abs(y)) * re_tau : kNaN; };

  // summary.csv
  {
    std::string s = "label,kind,file,trajectories,steps,completed_steps_min,trajectories_completed";
    for (int h : p.horizons) s += fmt::format(",error_step_{}", h);
    for (int h : p.horizons) s += fmt::format(",error_fluct_step_{0},error_u_step_{0},error_v_step_{0},error_w_step_{0}", h);
    s += fmt::format(",first_step_over_{}", p.threshold);
    for (const char* n : analysis::kProfileNames) s += fmt::format(",error_{}", n);
    s += ",u_tau_own,re_tau_own,wall_seconds,simulated_time,wall_seconds_per_unit_time,"
         "wall_seconds_per_trajectory_time,ranks,threads,core_seconds_per_trajectory_time,cost_source\n";
    for (std::size_t i = 0; i < res.size(); ++i) {
      const auto& r = res[i];
      const auto& c = costs[i];
      const int cmin = *std::min_element(r.completed.begin(), r.completed.end());
      const int full = static_cast<int>(std::count(r.completed.begin(), r.completed.end(), r.steps));
      s += fmt::format("{},{},{},{},{},{},{}", csv_field(r.label), csv_field(r.kind), csv_field(r.file), r.n_traj,
                       r.steps, cmin, full);
      for (double e : r.horizon_error) s += "," + num(e);
      for (std::size_t h = 0; h < r.horizon_error.size(); ++h)
        s += fmt::format(",{},{},{},{}", num(r.horizon_error_fluct[h]), num(r.horizon_error_c[0][h]),
                         num(r.horizon_error_c[1][h]), num(r.horizon_error_c[2][h]));
      s += "," + (r.first_over < 0 ? std::string("never") : std::to_string(r.first_over));
      for (double e : r.stats_error) s += "," + num(e);
      const double per = c.wall_seconds / c.simulated_time, per_traj = per / r.n_traj;
      const double cores = c.ranks > 0 && c.threads > 0 ? per_traj * c.ranks * c.threads : kNaN;
      s += fmt::format(",{},{},{},{},{},{},{},{},{},{}\n", num(r.u_tau_own), num(r.re_tau_own), num(c.wall_seconds),
                       num(c.simulated_time), num(per), num(per_traj), c.ranks > 0 ? std::to_string(c.ranks) : "",
                       c.threads > 0 ? std::to_string(c.threads) : "", num(cores), csv_field(c.source));
    }
    write_text_atomic(dir + "/summary.csv", s);
  }
  // summary.md
  {
    std::string s = fmt::format("# Comparison against {} (`{}`)\n\n", md_cell(cc.reference_label), cc.reference);
    s += fmt::format(
        "Grid {}x{}x{}, {} reference trajectories x {} snapshots every {:.6g}; wall units: u_tau = {:.6g}, "
        "Re_tau = {:.6g}, from {}.\n\n",
        rm.nx(), rm.ny(), rm.nz(), rm.n_traj, cmp.reference().n_time(), cmp.dt(), u_tau, re_tau,
        cmp.wall_units().description);
    s += "| candidate | kind |";
    for (int h : p.horizons) s += fmt::format(" error @{} |", h);
    s += fmt::format(" first step > {} |", p.threshold);
    s += " U+ | u'+ | v'+ | w'+ | -u'v'+ | completed steps | Re_tau | wall s per trajectory and unit time | ranks x "
         "threads |\n|---|---|";
    for (std::size_t q = 0; q < p.horizons.size() + 10; ++q) s += "---|";
    s += "\n";
    for (std::size_t i = 0; i < res.size(); ++i) {
      const auto& r = res[i];
      const auto& c = costs[i];
      const int cmin = *std::min_element(r.completed.begin(), r.completed.end());
      s += fmt::format("| {} | {} |", md_cell(r.label), md_cell(r.kind));
      for (double e : r.horizon_error) s += " " + md_num(e) + " |";
      // "never" within the compared steps
      s += " " +
           (r.first_over < 0 ? fmt::format("never (to {})", static_cast<int>(r.error.size()) - 1)
                             : std::to_string(r.first_over) + (r.first_over_by_stop ? " (stopped)" : "")) +
           " |";
      for (double e : r.stats_error) s += " " + md_num(e) + " |";
      s += fmt::format(" {} of {} |", cmin, r.steps);
      s += " " + md_num(r.re_tau_own, "{:.1f}") + " |";
      s += " " + md_num(c.wall_seconds / c.simulated_time / r.n_traj) + " |";
      s += " " +
           (c.ranks > 0 ? fmt::format("{} x {}", c.ranks, c.threads > 0 ? std::to_string(c.threads) : "?") : "—") +
           " |\n";
    }
    // an unfinished (killed or interrupted) rollout is compared over the steps it holds
    std::string partial;
    for (const auto& r : res)
      if (r.requested_steps >= 0)
        partial += fmt::format("candidate {}: partial, {} of {} steps\n", md_cell(r.label), r.steps, r.requested_steps);
    if (!partial.empty()) s += "\n" + partial;
    // the short-term error per component and against the fluctuations, a row per horizon
    s += "\n| candidate | step | total | fluctuations | u | v | w |\n|---|---|---|---|---|---|---|\n";
    for (const auto& r : res)
      for (std::size_t h = 0; h < p.horizons.size(); ++h)
        s += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", md_cell(r.label), p.horizons[h],
                         md_num(r.horizon_error[h]), md_num(r.horizon_error_fluct[h]), md_num(r.horizon_error_c[0][h]),
                         md_num(r.horizon_error_c[1][h]), md_num(r.horizon_error_c[2][h]));
    s += fmt::format(
        "\nerror @k: relative L2 error ||u - u_ref|| / ||u_ref|| over the whole field (all points, u, v, w) after k "
        "snapshot intervals, averaged over trajectories; u, v, w: the same per component; fluctuations: "
        "||u - u_ref|| / ||u_ref - <u_ref>_xz||, against the reference's fluctuations about its plane-averaged "
        "profile (the total is dominated by the mean flow). first step > {0}: the first step whose averaged error "
        "exceeds {0}, or at which a trajectory was stopped by its guard. U+ .. -u'v'+: relative L2 error over y "
        "(quadrature-weighted) of the long-term profiles, all in the reference's wall units; statistics of the "
        "candidates from step {1} "
        "on, of the reference from time index {2} on. Re_tau: from the series' own mean wall shear. Cost: wall-clock "
        "seconds of the run's time loop "
        "per trajectory and unit of simulated time (a run advancing n trajectories together counts n), from the "
        "run's cost.csv or its log; — where neither exists.\n",
        p.threshold, p.statistics_start, p.reference_statistics_start);
    write_text_atomic(dir + "/summary.md", s);
  }
  // error and energy against time
  {
    std::string e = "series,step,t,err_total,err_u,err_v,err_w,err_fluct,trajectories\n";
    std::string en = "series,step,t,kinetic_energy,reference_kinetic_energy,trajectories\n";
    for (const auto& r : res)
      for (std::size_t k = 0; k < r.error.size(); ++k) {
        if (r.count[k] == 0) continue;
        e += fmt::format("{},{},{:.12g},{:.12g},{:.12g},{:.12g},{:.12g},{:.12g},{}\n", csv_field(r.label), k,
                         k * r.dt, r.error[k], r.error_c[0][k], r.error_c[1][k], r.error_c[2][k], r.error_fluct[k],
                         r.count[k]);
        en += fmt::format("{},{},{:.12g},{:.12g},{:.12g},{}\n", csv_field(r.label), k, k * r.dt, r.energy[k],
                          r.energy_ref[k], r.count[k]);
      }
    write_text_atomic(dir + "/error_vs_time.csv", e);
    write_text_atomic(dir + "/energy_vs_time.csv", en);
  }
  // profiles and spectra (long tables), and each series' own tables
  {
    std::vector<std::pair<std::string, SeriesTables>> all = {
        {cc.reference_label, tables_of(cmp.reference_statistics(), cmp)}};
    for (const auto& o : outcomes) all.emplace_back(o.result.label, o.tables);
    std::string pr = "series,y,y_plus";
    for (const char* n : analysis::kProfileNames) pr += std::string(",") + n;
    pr += "\n";
    std::string sp = "series,axis,y,y_plus,k,E_uu,E_vv,E_ww\n";
    const auto& js = cmp.spectra_indices();
    for (const auto& [label, t] : all) {
      if (t.samples == 0) continue;
      for (int j = 0; j < rm.ny(); ++j) {
        pr += fmt::format("{},{:.12g},{}", csv_field(label), rm.y[j], num(y_plus(rm.y[j]), "{:.12g}"));
        for (int q = 0; q < 5; ++q) pr += fmt::format(",{:.12g}", t.profiles[q][j]);
        pr += "\n";
      }
      for (std::size_t s = 0; s < js.size(); ++s)
        for (int axis = 0; axis < 2; ++axis) {
          const auto& E = axis == 0 ? t.ex[s] : t.ez[s];
          const double dk = 2.0 * M_PI /
                            (axis == 0 ? rm.box_lx() : rm.box_lz());
          for (std::size_t q = 0; q < E[0].size(); ++q)
            sp += fmt::format("{},{},{:.12g},{},{:.12g},{:.12g},{:.12g},{:.12g}\n", csv_field(label),
                              axis == 0 ? "kx" : "kz", rm.y[js[s]], num(y_plus(rm.y[js[s]]), "{:.12g}"), q * dk,
                              E[0][q], E[1][q], E[2][q]);
        }
    }
    write_text_atomic(dir + "/profiles.csv", pr);
    write_text_atomic(dir + "/spectra.csv", sp);
  }
  // x-z slices
  {
    AtomicPath out(dir + "/slice.h5");
    {
      auto f = h5::File::create(out, MPI_COMM_SELF);
      f.write_vector("/x", rm.x);
      f.write_vector("/z", rm.z);
      const int j = cmp.slice_index();
      f.set_attr("/", "y", rm.y[j]);
      f.set_attr("/", "y_plus", std::isfinite(y_plus(rm.y[j])) ? y_plus(rm.y[j]) : -1.0);
      f.set_attr("/", "requested_step", std::int64_t(p.slice_step));
      f.set_attr("/", "reference_label", cc.reference_label);
      f.set_attr("/", "u_tau", u_tau);
      f.set_attr("/", "wall_units_source", cmp.wall_units().description);
      const hsize_t nx = rm.nx(), nz = rm.nz();
      for (std::size_t i = 0; i < res.size(); ++i) {
        const auto& r = res[i];
        if (r.slice_step < 0) continue;
        const std::string g = fmt::format("/candidate_{}", i);
        f.write_vector(g, r.slice, {nx, nz});
        f.set_attr(g, "label", r.label);
        f.set_attr(g, "step", std::int64_t(r.slice_step));
        f.set_attr(g, "reference_trajectory", std::int64_t(r.alignment[0].ref_traj));
        f.set_attr(g, "reference_time_index", std::int64_t(r.alignment[0].ref_start + r.slice_step));
        // the reference snapshot this candidate's slice is compared with
        const std::string gr = fmt::format("/reference_{}", i);
        f.write_vector(gr, r.slice_ref, {nx, nz});
        f.set_attr(gr, "label", cc.reference_label);
        f.set_attr(gr, "step", std::int64_t(r.slice_step));
        f.set_attr(gr, "trajectory", std::int64_t(r.alignment[0].ref_traj));
        f.set_attr(gr, "time_index", std::int64_t(r.alignment[0].ref_start + r.slice_step));
      }
      f.set_attr("/", "candidates", std::int64_t(res.size()));
      f.close();
    }
    out.commit();
  }
}

void run_compare(const std::string& case_file, const std::vector<std::string>& overrides, const Context& ctx) {
  int n_candidates = 0;
  auto cfg = load_case(case_file, overrides, &n_candidates);
  const CompareCase cc = read_case(cfg, n_candidates);
  cfg.reject_unknown();
  FolderLock lock(cc.dir, ctx.command_line, ctx.comm);
  std::set<std::string> slugs = {"reference"};
  for (const auto& k : cc.candidates)
    IFF_CHECK_AS(ConfigError, slugs.insert(slug(k.label)).second,
                 "candidate label '" << k.label << "' is used twice (or as a folder name clashes with another)");
  // every rank checks that the inputs exist (one clear error before any work)
  for (const std::string& f : std::vector<std::string>{cc.reference})
    IFF_REQUIRE(fs::exists(f), "reference series " << f << " does not exist");
  for (const auto& k : cc.candidates)
    IFF_REQUIRE(fs::exists(k.file), "series " << k.file << " of candidate " << k.label << " does not exist");
  ensure_directory(cc.dir);
  // every rank computes the reference's statistics and wall units (one read of the reference
  // each); candidate i is compared by rank i % size, which writes its series/<label>/ tables
  // and sends its numbers to rank 0: each number is computed by one rank in one order, so the
  // outputs do not depend on the number of ranks
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
    const auto align = alignment_of(k, r, cmp);
    Outcome& o = outcomes[i];
    o.result = cmp.compare(k.label, k.file, align, k.kind);
    o.tables = tables_of(*o.result.stats, cmp);
    if (o.result.stats->samples() > 0) {
      const std::string sd = cc.dir + "/series/" + slug(k.label);
      ensure_directory(sd);
      o.result.stats->write_csv(sd, cmp.re_tau(), cmp.u_tau());
      o.result.stats->write_h5(sd + "/stats.h5");
    }
    // cost: the run's own record (OUTDIR/cost.csv, io/run_cost.hpp) or else its log; case keys win
    Cost& c = o.cost;
    const fs::path record = fs::path(k.file).parent_path() / "cost.csv";
    if (fs::exists(record)) {
      const RunCost rc = read_run_cost(record.string());
      c.wall_seconds = rc.wall_seconds, c.simulated_time = rc.simulated_time;
      c.ranks = rc.ranks, c.threads = rc.threads_per_rank, c.source = record.string();
    } else {
      c = cost_from_log(k, r);
    }
    if (std::isfinite(k.cost.wall_seconds)) c.wall_seconds = k.cost.wall_seconds, c.source = "case";
    if (std::isfinite(k.cost.simulated_time)) c.simulated_time = k.cost.simulated_time, c.source = "case";
    if (k.cost.ranks > 0) c.ranks = k.cost.ranks, c.source = "case";
    if (k.cost.threads > 0) c.threads = k.cost.threads, c.source = "case";
    if (c.source.empty()) c.source = "no log";
  }
  // candidates computed elsewhere come to rank 0
  for (int i = 0; i < n; ++i) {
    const int owner = i % ctx.size;
    if (owner == 0) continue;
    if (ctx.rank == owner) {
      const auto msg = pack(outcomes[i]);
      long len = static_cast<long>(msg.size());
      MPI_Send(&len, 1, MPI_LONG, 0, 2 * i, ctx.comm);
      MPI_Send(msg.data(), static_cast<int>(len), MPI_DOUBLE, 0, 2 * i + 1, ctx.comm);
    } else if (ctx.rank == 0) {
      long len = 0;
      MPI_Recv(&len, 1, MPI_LONG, owner, 2 * i, ctx.comm, MPI_STATUS_IGNORE);
      std::vector<double> msg(len);
      MPI_Recv(msg.data(), static_cast<int>(len), MPI_DOUBLE, owner, 2 * i + 1, ctx.comm, MPI_STATUS_IGNORE);
      outcomes[i] = unpack(msg);
    }
  }
  if (ctx.rank == 0) {
    for (int i = 0; i < n; ++i) {
      const auto& res = outcomes[i].result;
      log::info(
          "compare: {}: {} trajectories, {} steps compared (rank {}), error at step {} = {}, first step over {}: {}",
          res.label, res.n_traj, static_cast<int>(res.error.size()) - 1, i % ctx.size,
          cc.params.horizons.empty() ? 0 : cc.params.horizons[0],
          res.horizon_error.empty() ? "-" : md_num(res.horizon_error[0]), cc.params.threshold,
          res.first_over < 0 ? std::string("never") : std::to_string(res.first_over));
      if (res.requested_steps >= 0)
        log::warn("compare: candidate {}: partial, {} of {} steps (an unfinished rollout; compared over the steps it holds)",
                  res.label, res.steps, res.requested_steps);
    }
    {
      const std::string sd = cc.dir + "/series/reference";
      ensure_directory(sd);
      cmp.reference_statistics().write_csv(sd, cmp.re_tau(), cmp.u_tau());
      cmp.reference_statistics().write_h5(sd + "/stats.h5");
    }
    write_outputs(cc, cmp, outcomes);
    log::info("compare: tables in {}", cc.dir);
    if (cc.plot) {
      const std::string script = find_plot_script(cc.plot_script);
      if (script.empty()) {
        log::warn("compare: scripts/plot_compare.py not found (set output.plot_script); tables are in {}", cc.dir);
      } else {
        const char* py_env = std::getenv("IFF_PYTHON");
        const std::string py =
            py_env && *py_env ? py_env : (fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
        const std::string cmd = shell_quote(py) + " " + shell_quote(script) + " " + shell_quote(cc.dir);
        const int rc = std::system(cmd.c_str());
        if (rc != 0)
          log::warn("compare: the figures were not made ({} exited with status {}); the tables are in {}", script,
                    WIFEXITED(rc) ? WEXITSTATUS(rc) : rc, cc.dir);
        else
          log::info("compare: report {}/report.html", cc.dir);
      }
    }
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
