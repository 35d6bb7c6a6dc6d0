#include "rollout/rollout_case.hpp"

#include "io/error.hpp"

namespace iff::rollout {

RolloutCase RolloutCase::from(const Config& cfg) {
  RolloutCase c;
  auto r = cfg.section("rollout");
  c.checkpoint = r.get<std::string>("checkpoint", "");
  c.solver = r.get<std::string>("solver", "");
  IFF_CHECK_AS(ConfigError, c.checkpoint.empty() != c.solver.empty(),
               "rollout in " << cfg.path() << ": give either rollout.checkpoint (a trained operator) or rollout.solver "
                             "(an LES/DNS case), not " << (c.solver.empty() ? "neither" : "both"));
  c.series = r.require<std::string>("series");
  c.initial = r.get_choice("initial", c.initial, {"held_out", "all", "list"});
  if (c.initial == "list") {
    const auto flat = r.require<std::vector<int>>("states");
    IFF_CHECK_AS(ConfigError, flat.size() % 2 == 0 && !flat.empty(),
                 "rollout.states in " << cfg.path() << ": expected [traj, time, traj, time, ...]");
    for (std::size_t i = 0; i < flat.size(); i += 2) c.states.push_back({flat[i], flat[i + 1]});
  }
  c.engine.steps = r.get_in<int>("steps", 100, 0, 1 << 24);
  c.engine.energy_band = r.get_in<double>("energy_band", 10.0, 0.0, 1e12);
  c.engine.batch = r.get_in<int>("batch", 1, 1, 4096);
  c.device = r.get_choice("device", "cpu", {"cpu", "cuda"});
  c.dtype = r.get_choice("dtype", c.dtype, {"checkpoint", "float32", "float64"});
  c.threads = r.get_in<int>("threads", 1, 0, 1024);
  auto o = cfg.section("output");
  c.dir = o.get<std::string>("dir", c.dir);
  c.series_every = o.get_in<int>("series_every", 1, 1, 1 << 24);
  c.series_buffer = o.get_in<int>("series_buffer", 10, 1, 1 << 16);
  c.vtk_every = o.get_in<int>("vtk_every", 10, 0, 1 << 24);
  c.vtk_trajectories = o.get_in<int>("vtk_trajectories", 1, 0, 1 << 20);
  c.stats_start = o.get_in<int>("stats_start", 0, 0, 1 << 24);
  c.spectra_y_plus = o.get<std::vector<double>>("spectra_y_plus", c.spectra_y_plus);
  c.engine.progress_seconds = o.get_in<double>("progress_seconds", 5.0, 0.0, 1e6);
  return c;
}

std::vector<std::vector<int>> RolloutCase::initial_states(const SeriesReader& ref, int window, int held_out) const {
  const SeriesMeta& m = ref.meta();
  std::vector<std::vector<int>> starts = states;
  if (initial != "list") {
    IFF_CHECK_AS(ConfigError, initial == "all" || solver.empty(),
                 "rollout.initial: held_out names the trajectories a checkpoint's training held out; with rollout.solver "
                 "give initial: all or list");
    const int count = initial == "all" ? m.n_traj : held_out;
    IFF_REQUIRE(count > 0, "checkpoint " << checkpoint << " held out no trajectory of " << series
                                         << "; set rollout.initial to all or list");
    for (int t = m.n_traj - count; t < m.n_traj; ++t) starts.push_back({t, window - 1});
  }
  for (const auto& s : starts)
    IFF_REQUIRE(s[0] >= 0 && s[0] < m.n_traj && s[1] >= window - 1 && s[1] < ref.n_time(),
                "rollout initial state (trajectory " << s[0] << ", time index " << s[1] << ") is not in " << series
                                                     << " (with a window of " << window << ")");
  return starts;
}

}  // namespace iff::rollout
