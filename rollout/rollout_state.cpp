#include "rollout/rollout_state.hpp"

#include <filesystem>
#include <sstream>

#include "io/agreed.hpp"
#include "io/comm.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/h5.hpp"
#include "io/log.hpp"
#include "rollout/rollout_table.hpp"

namespace iff::rollout {

RolloutState RolloutState::read(const std::string& path) {
  auto f = h5::File::open(path);
  IFF_REQUIRE(f.has_attr("/", "format") && f.attr_string("/", "format") == "ifactflow-rollout-state",
              path << " is not an ifactflow rollout state");
  RolloutState s;
  s.step = int(f.attr_int("/", "step"));
  s.steps = int(f.attr_int("/", "steps"));
  s.n_traj = int(f.attr_int("/", "n_traj"));
  s.window = int(f.attr_int("/", "window"));
  s.config = f.attr_string("/", "config");
  s.wall = f.attr_double("/", "wall_seconds");
  s.model = f.attr_double("/", "step_seconds");
  s.output = f.attr_double("/", "output_seconds");
  s.completed = f.read_vector("/completed");
  s.alive = f.read_vector("/alive");
  s.initial_energy = f.read_vector("/initial_energy");
  return s;
}

std::optional<RolloutState> RolloutState::unfinished(const std::string& dir, bool resume, const std::string& config,
                                                     const std::string& case_file) {
  const std::string state_path = dir + "/rollout.state.h5", pred_path = dir + "/prediction.h5";
  if (!std::filesystem::exists(state_path)) {
    if (resume) log::info("rollout --resume: no unfinished rollout in {}; starting from step 0", dir);
    return std::nullopt;
  }
  auto saved = read(state_path);
  IFF_REQUIRE(resume, dir << " holds an unfinished rollout (" << saved.step << " of " << saved.steps << " steps, "
                          << state_path << "): rerun with --resume to continue it, or remove " << state_path
                          << " to start again");
  IFF_REQUIRE(saved.config == config, state_path << " was written for another case (its resolved configuration "
                                                    "differs from " << case_file << "): remove it to start again");
  IFF_REQUIRE(std::filesystem::exists(pred_path), state_path << " has no " << pred_path << ": remove it to start again");
  return saved;
}

namespace {

/// This rank's block of /history: its consecutive trajectories, every window, its planes.
std::pair<std::vector<hsize_t>, std::vector<hsize_t>> history_block(const std::vector<Trajectory>& local, int window,
                                                                    const StateSlab& slab, hsize_t plane) {
  if (local.empty()) return {{0, 0, 0, 0}, {0, 0, 0, 0}};
  return {{hsize_t(local.front().id), 0, hsize_t(slab.x0), 0},
          {hsize_t(local.size()), hsize_t(window), hsize_t(slab.nx), plane}};
}

}  // namespace

void RolloutState::restore(const std::string& path, int n, int win, std::vector<Trajectory>& local,
                           const StateSlab& slab, int ny, int nz, MPI_Comm comm) const {
  IFF_REQUIRE(n_traj == n && window == win, path << " holds " << n_traj << " trajectories with a window of " << window
                                                 << ", the case has " << n << " with " << win);
  auto f = h5::File::open(path, false, comm);
  const hsize_t plane = hsize_t(ny) * nz * 3;
  const std::vector<hsize_t> want{hsize_t(n), hsize_t(win), hsize_t(slab.nx_total), plane};
  IFF_REQUIRE(f.shape("/history") == want, path << ": /history is not [" << n << "][" << win << "][" << slab.nx_total
                                                << "][" << plane << "] (the case's trajectories, window and grid): "
                                                << "remove it to start again");
  const auto [offset, count] = history_block(local, window, slab, plane);
  std::vector<double> block(count[0] * count[1] * count[2] * count[3]);
  f.read_slab("/history", offset, count, block.data());
  const std::size_t part = slab.size(ny, nz);
  for (std::size_t q = 0; q < local.size(); ++q) {
    auto& t = local[q];
    for (int w = 0; w < window; ++w)
      t.history[w].assign(block.begin() + (q * window + w) * part, block.begin() + (q * window + w + 1) * part);
    t.completed = int(completed[t.id]);
    t.alive = alive[t.id] != 0;
    t.initial_energy = initial_energy[t.id];
    const std::string key = "stop_reason_" + std::to_string(t.id);
    if (f.has_attr("/", key)) t.stop_reason = f.attr_string("/", key);
  }
}

void write_rollout_state(const std::string& path, const RolloutState& head, const std::vector<Trajectory>& local,
                         const StateSlab& slab, int ny, int nz, MPI_Comm comm) {
  const int n = head.n_traj;
  const bool leader = slab.leader();  // a group's trajectories are counted once
  std::vector<double> mine, done(n, 0.0), alive(n, 0.0), e0(n, 0.0);
  std::string reasons;
  for (const auto& t : local) {
    for (const auto& f : t.history) mine.insert(mine.end(), f.begin(), f.end());
    if (!leader) continue;
    done[t.id] = t.completed;
    alive[t.id] = t.alive ? 1.0 : 0.0;
    e0[t.id] = t.initial_energy;
    if (!t.stop_reason.empty()) reasons += std::to_string(t.id) + "\t" + t.stop_reason + "\n";
  }
  MPI_Allreduce(MPI_IN_PLACE, done.data(), n, MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, alive.data(), n, MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, e0.data(), n, MPI_DOUBLE, MPI_SUM, comm);
  const std::string all_reasons = broadcast_text(gather_text(reasons, comm), comm);
  const hsize_t plane = hsize_t(ny) * nz * 3;
  const auto [offset, count] = history_block(local, head.window, slab, plane);

  AtomicPath target(path, comm);
  auto f = h5::File::create(target, comm);
  f.create_dataset("/history", {hsize_t(n), hsize_t(head.window), hsize_t(slab.nx_total), plane}, h5::DType::f64);
  f.write_slab("/history", offset, count, mine.data());
  f.write_vector("/completed", done);
  f.write_vector("/alive", alive);
  f.write_vector("/initial_energy", e0);
  f.set_attr("/", "format", std::string("ifactflow-rollout-state"));
  f.set_attr("/", "step", std::int64_t(head.step));
  f.set_attr("/", "steps", std::int64_t(head.steps));
  f.set_attr("/", "n_traj", std::int64_t(n));
  f.set_attr("/", "window", std::int64_t(head.window));
  f.set_attr("/", "config", head.config);
  f.set_attr("/", "wall_seconds", head.wall);
  f.set_attr("/", "step_seconds", head.model);
  f.set_attr("/", "output_seconds", head.output);
  std::istringstream in(all_reasons);
  std::string line;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos) f.set_attr("/", "stop_reason_" + line.substr(0, tab), line.substr(tab + 1));
  }
  f.close();
  run_agreed(comm, [&] { target.commit(); });
}

}  // namespace iff::rollout
