#include "rollout/rollout_case.hpp"

#include "io/error.hpp"

namespace iff::rollout {

RolloutCase RolloutCase::from(const Config& cfg) {
  RolloutCase c;
  auto r = cfg.section("rollout");
  c.checkpoint = r.get_path("checkpoint", "", "a trained operator (ifactflow train, convert); exactly one of rollout.checkpoint and rollout.solver");
  c.solver = r.get_path("solver", "", "an LES or DNS case file advanced one snapshot interval per step instead of an operator");
  IFF_CHECK_AS(ConfigError, c.checkpoint.empty() != c.solver.empty() || cfg.documenting(),
               "rollout in " << cfg.path() << ": give either rollout.checkpoint (a trained operator) or rollout.solver "
                             "(an LES/DNS case), not " << (c.solver.empty() ? "neither" : "both"));
  c.series = r.require_path("series", "initial states and reference: a data-contract series on the operator's (or solver's) grid");
  c.initial = r.get_enum("initial", c.initial, kInitialStatesNames, "initial states: held_out (the checkpoint's validation trajectories) | all (every trajectory) | list (rollout.states), each from the last snapshot of its first input window");
  if (c.initial == InitialStates::list || cfg.documenting()) {
    const auto flat = cfg.documenting() ? r.get<std::vector<int>>("states", {}, "initial states when rollout.initial is list: [trajectory, time index, trajectory, time index, ...]") : r.require<std::vector<int>>("states", "initial states when rollout.initial is list: [trajectory, time index, trajectory, time index, ...]");
    IFF_CHECK_AS(ConfigError, (flat.size() % 2 == 0 && !flat.empty()) || cfg.documenting(),
                 "rollout.states in " << cfg.path() << ": expected [traj, time, traj, time, ...]");
    for (std::size_t i = 0; i < flat.size(); i += 2) c.states.push_back({flat[i], flat[i + 1]});
  }
  c.engine.steps = r.get_in<int>("steps", 100, 0, 1 << 24, "steps rolled out per trajectory (one step = the series' snapshot interval)");
  c.engine.energy_band = r.get_in<double>("energy_band", 10.0, 0.0, 1e12, "a trajectory stops when its kinetic energy leaves [E_ref/band, band E_ref], E_ref that of its initial state (0: never)");
  c.engine.batch = r.get_in<int>("batch", 1, 1, 4096, "trajectories per model call (1 makes each prediction independent of the rank count, bit for bit)");
  c.device = r.get_enum("device", c.device, kDeviceNames, "where an operator runs: cpu or cuda");
  c.dtype = r.get_enum("dtype", c.dtype, kRolloutPrecisionNames, "precision of an operator: that of the checkpoint, float32 or float64");
  c.precision = r.get_enum("precision", c.precision, kArithmeticNames, "arithmetic of a float32 operator's large matrix products: fp32, or bf16-mixed (bfloat16 operands, float32 accumulation; needs AVX512-BF16 on the CPU)");
  c.threads = r.get_in<int>("threads", 1, 0, 1024, "intra-op threads per rank (0: libtorch's default)");
  c.ranks_per_trajectory = r.get_in<int>("ranks_per_trajectory", 1, 1, 1 << 16, "ranks that split each state of a model (any kind) in x-slabs (a divisor of the rank count; groups of that many consecutive ranks share out the trajectories). Each rank holds, reads and writes only its x planes of every state; the prediction equals the unsplit one to round-off");
  IFF_CHECK_AS(ConfigError, c.ranks_per_trajectory == 1 || c.solver.empty() || cfg.documenting(),
               "rollout.ranks_per_trajectory in " << cfg.path() << ": a rollout.solver case runs each trajectory on one rank; set it to 1");
  auto o = cfg.section("output");
  c.dir = o.get_path("dir", c.dir, "output folder: prediction.h5, rollout.csv, cost.csv, vtk/, stats/, config.resolved.yaml");
  c.series_every = o.get_in<int>("series_every", 1, 1, 1 << 24, "steps between prediction snapshots");
  c.series_buffer = o.get_in<int>("series_buffer", 10, 1, 1 << 16, "snapshots written and flushed together (a killed run loses at most this many less one)");
  c.vtk_every = o.get_in<int>("vtk_every", 10, 0, 1 << 24, "steps between VTK files for ParaView (0: none)");
  c.vtk_trajectories = o.get_in<int>("vtk_trajectories", 1, 0, 1 << 20, "VTK files of the first this many trajectories");
  c.stats_start = o.get_in<int>("stats_start", 0, 0, 1 << 24, "first step of the statistics (stats/)");
  c.spectra_y_plus = o.get<std::vector<double>>("spectra_y_plus", c.spectra_y_plus, "wall distances y+ of the x and z spectra (lower wall)");
  c.engine.progress_seconds = o.get_in<double>("progress_seconds", 5.0, 0.0, 1e6, "seconds between progress lines (0: every step)");
  return c;
}

std::vector<std::vector<int>> RolloutCase::initial_states(const SeriesReader& ref, int window, int held_out) const {
  const SeriesMeta& m = ref.meta();
  std::vector<std::vector<int>> starts = states;
  if (initial != InitialStates::list) {
    IFF_CHECK_AS(ConfigError, initial == InitialStates::all || solver.empty(),
                 "rollout.initial: held_out names the trajectories a checkpoint's training held out; with rollout.solver "
                 "give initial: all or list");
    const int count = initial == InitialStates::all ? m.n_traj : held_out;
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
