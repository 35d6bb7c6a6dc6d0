#include "analysis/comparison_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "io/fsutil.hpp"
#include "io/h5.hpp"
#include "io/json.hpp"

namespace iff::analysis {

std::string md_num(double v, const char* f) {
  return std::isfinite(v) ? fmt::format(fmt::runtime(f), v) : (std::isnan(v) ? "—" : "inf");
}

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string num(double v, const char* f = "{:.10g}") { return std::isfinite(v) ? fmt::format(fmt::runtime(f), v) : ""; }

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

/// A JSON number (null when not finite).
std::string json_num(double v) { return std::isfinite(v) ? fmt::format("{:.12g}", v) : "null"; }

/// A box length as a multiple of pi when it is one to two decimals (2π, 0.3π), else "{:.4g}".
std::string box_length(double l) {
  const double r = l / M_PI, q = std::round(r * 100) / 100;
  if (q > 0 && std::abs(r - q) < 1e-9 * std::max(1.0, r)) return (q == 1 ? "" : fmt::format("{:g}", q)) + "π";
  return fmt::format("{:.4g}", l);
}

/// What every table is made from.
struct Tables {
  Tables(const CompareCase& c, const SeriesComparison& m, const std::vector<Outcome>& o)
      : cc(c), cmp(m), outcomes(o), rm(m.reference().meta()), p(c.params), dir(c.dir), re_tau(m.re_tau()),
        u_tau(m.u_tau()) {
    for (const auto& x : o) res.push_back(x.result), costs.push_back(x.cost);
  }
  double y_plus(double y) const { return re_tau > 0 ? (1.0 - std::abs(y)) * re_tau : kNaN; }
  void write_summary_csv() const;
  void write_summary_md() const;
  void write_time_tables() const;
  void write_profiles_and_spectra() const;
  void write_slices() const;
  void write_summary_json() const;

  const CompareCase& cc;
  const SeriesComparison& cmp;
  const std::vector<Outcome>& outcomes;
  const SeriesMeta& rm;
  const ComparisonParams& p;
  const std::string& dir;
  const double re_tau, u_tau;
  std::vector<CandidateResult> res;
  std::vector<Cost> costs;
};

/// summary.csv
void Tables::write_summary_csv() const {
  std::string s = "label,kind,file,trajectories,steps,completed_steps_min,trajectories_completed";
  for (int h : p.horizons) s += fmt::format(",error_step_{}", h);
  for (int h : p.horizons) s += fmt::format(",error_fluct_step_{0},error_u_step_{0},error_v_step_{0},error_w_step_{0}", h);
  s += fmt::format(",first_step_over_{}", p.threshold);
  for (const char* n : kProfileNames) s += fmt::format(",error_{}", n);
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
    const double per = c.wall_seconds / c.simulated_time, per_traj = c.per_trajectory_time(r.n_traj);
    const double cores = c.ranks > 0 && c.threads > 0 ? per_traj * c.ranks * c.threads : kNaN;
    s += fmt::format(",{},{},{},{},{},{},{},{},{},{}\n", num(r.u_tau_own), num(r.re_tau_own), num(c.wall_seconds),
                     num(c.simulated_time), num(per), num(per_traj), c.ranks > 0 ? std::to_string(c.ranks) : "",
                     c.threads > 0 ? std::to_string(c.threads) : "", num(cores), csv_field(c.source));
  }
  write_text_atomic(dir + "/summary.csv", s);
}

/// summary.md
void Tables::write_summary_md() const {
  std::string s = fmt::format("# Comparison against {} (`{}`)\n\n", md_cell(cc.reference_label), cc.reference);
  // the set-up line: grid and box, the reference's size, the wall units and where they came
  // from, and the reference's provenance (file, kind, filter, commit of the binary that wrote it)
  s += fmt::format(
      "Grid {}x{}x{} (nx x ny x nz) on a box {} x {} x {} (lx x ly x lz, h = 1), {} reference trajectories x {} "
      "snapshots every {:.6g} (units {}); wall units: u_tau = {:.6g}, Re_tau = {:.6g}, from {}. Reference `{}` "
      "(kind {}{}, written at commit {}).\n\n",
      rm.nx(), rm.ny(), rm.nz(), box_length(rm.box_lx()), box_length(rm.ly), box_length(rm.box_lz()), rm.n_traj,
      cmp.reference().n_time(), cmp.dt(), rm.units, u_tau, re_tau, cmp.wall_units().description, cc.reference,
      rm.kind, rm.filter.empty() ? "" : ", filter " + rm.filter, rm.git_commit.empty() ? "unknown" : rm.git_commit);
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
    s += " " + md_num(c.per_trajectory_time(r.n_traj)) + " |";
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
      "per trajectory and unit of simulated time (a run advancing n trajectories together counts n, each up to "
      "its last good step), from the "
      "run's cost.csv or the case's figures; — where neither exists.\n",
      p.threshold, p.statistics_start, p.reference_statistics_start);
  write_text_atomic(dir + "/summary.md", s);
}

/// error and energy against time
void Tables::write_time_tables() const {
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

/// profiles and spectra (long tables), and each series' own tables
void Tables::write_profiles_and_spectra() const {
  std::vector<std::pair<std::string, SeriesTables>> all = {
      {cc.reference_label, tables_of(cmp.reference_statistics(), cmp)}};
  for (const auto& o : outcomes) all.emplace_back(o.result.label, o.tables);
  std::string pr = "series,y,y_plus";
  for (const char* n : kProfileNames) pr += std::string(",") + n;
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

/// x-z slices
void Tables::write_slices() const {
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
    // one slice with its label, step and the reference snapshot it stands for, the attribute
    // names of the latter prefixed by `ref` ("reference_" on a candidate's, "" on the reference's)
    auto write_slice = [&](const std::string& name, const std::vector<double>& values, const std::string& label,
                           const CandidateResult& r, const std::string& ref) {
      f.write_vector(name, values, {nx, nz});
      f.set_attr(name, "label", label);
      f.set_attr(name, "step", std::int64_t(r.slice_step));
      f.set_attr(name, ref + "trajectory", std::int64_t(r.alignment[0].ref_traj));
      f.set_attr(name, ref + "time_index", std::int64_t(r.alignment[0].ref_start + r.slice_step));
    };
    for (std::size_t i = 0; i < res.size(); ++i) {
      const auto& r = res[i];
      if (r.slice_step < 0) continue;
      write_slice(fmt::format("/candidate_{}", i), r.slice, r.label, r, "reference_");
      write_slice(fmt::format("/reference_{}", i), r.slice_ref, cc.reference_label, r, "");
    }
    f.set_attr("/", "candidates", std::int64_t(res.size()));
    f.close();
  }
  out.commit();
}

/// summary.json: the set-up in numbers, for the report (scripts/plot_compare.py)
void Tables::write_summary_json() const {
  std::string s = "{\n";
  s += fmt::format("  \"reference\": {{\"label\": {}, \"file\": {}, \"kind\": {}, \"filter\": {}, "
                   "\"git_commit\": {}, \"units\": {},\n",
                   json_string(cc.reference_label), json_string(cc.reference), json_string(rm.kind),
                   json_string(rm.filter), json_string(rm.git_commit), json_string(rm.units));
  s += fmt::format("    \"nx\": {}, \"ny\": {}, \"nz\": {}, \"lx\": {}, \"ly\": {}, \"lz\": {}, "
                   "\"trajectories\": {}, \"snapshots\": {}, \"dt\": {}}},\n",
                   rm.nx(), rm.ny(), rm.nz(), json_num(rm.box_lx()), json_num(rm.ly), json_num(rm.box_lz()),
                   rm.n_traj, cmp.reference().n_time(), json_num(cmp.dt()));
  s += fmt::format("  \"wall_units\": {{\"u_tau\": {}, \"re_tau\": {}, \"source\": {}}},\n", json_num(u_tau),
                   json_num(re_tau), json_string(cmp.wall_units().description));
  s += "  \"candidates\": [";
  for (std::size_t i = 0; i < res.size(); ++i)
    s += fmt::format("{}{{\"label\": {}, \"file\": {}, \"kind\": {}}}", i ? ", " : "", json_string(res[i].label),
                     json_string(res[i].file), json_string(res[i].kind));
  s += "]\n}\n";
  write_text_atomic(dir + "/summary.json", s);
}

}  // namespace


void write_comparison_tables(const CompareCase& cc, const SeriesComparison& cmp, const std::vector<Outcome>& outcomes) {
  const Tables t(cc, cmp, outcomes);
  t.write_summary_csv();
  t.write_summary_md();
  t.write_time_tables();
  t.write_profiles_and_spectra();
  t.write_slices();
  t.write_summary_json();
}

}  // namespace iff::analysis
