#include "rollout/rollout_state.hpp"

#include <filesystem>
#include <sstream>

#include "io/agreed.hpp"
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

void RolloutState::restore(const std::string& path, int n, int win, std::vector<Trajectory>& local,
                           std::size_t snap) const {
  IFF_REQUIRE(n_traj == n && window == win, path << " holds " << n_traj << " trajectories with a window of " << window
                                                 << ", the case has " << n << " with " << win);
  auto f = h5::File::open(path);
  for (auto& t : local) {
    for (int w = 0; w < window; ++w)
      f.read_slab("/history", {hsize_t(t.id), hsize_t(w), 0}, {1, 1, snap}, t.history[w].data());
    t.completed = int(completed[t.id]);
    t.alive = alive[t.id] != 0;
    t.initial_energy = initial_energy[t.id];
    const std::string key = "stop_reason_" + std::to_string(t.id);
    if (f.has_attr("/", key)) t.stop_reason = f.attr_string("/", key);
  }
}

void write_rollout_state(const std::string& path, const RolloutState& head, const std::vector<Trajectory>& local,
                         std::size_t snap, MPI_Comm comm) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const int n = head.n_traj;
  // every trajectory's window, gathered in id order (each rank holds consecutive ids)
  std::vector<double> mine, all, done(n, 0.0), done_all(n), alive(n, 0.0), alive_all(n), e0(n, 0.0), e0_all(n);
  std::string reasons;
  for (const auto& t : local) {
    for (const auto& f : t.history) mine.insert(mine.end(), f.begin(), f.end());
    done[t.id] = t.completed;
    alive[t.id] = t.alive ? 1.0 : 0.0;
    e0[t.id] = t.initial_energy;
    if (!t.stop_reason.empty()) reasons += std::to_string(t.id) + "\t" + t.stop_reason + "\n";
  }
  MPI_Allreduce(done.data(), done_all.data(), n, MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(alive.data(), alive_all.data(), n, MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(e0.data(), e0_all.data(), n, MPI_DOUBLE, MPI_SUM, comm);
  const std::string all_reasons = gather_text(reasons, comm);
  int count = static_cast<int>(mine.size());
  std::vector<int> counts(size), offs(size, 0);
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm);
  if (rank == 0) {
    for (int r = 1; r < size; ++r) offs[r] = offs[r - 1] + counts[r - 1];
    all.resize(std::size_t(n) * head.window * snap);
  }
  MPI_Gatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), offs.data(), MPI_DOUBLE, 0, comm);
  run_agreed(comm, [&] {
    if (rank != 0) return;
    AtomicPath target(path);
    auto f = h5::File::create(target);
    f.write_vector("/history", all, {hsize_t(n), hsize_t(head.window), hsize_t(snap)});
    f.write_vector("/completed", done_all);
    f.write_vector("/alive", alive_all);
    f.write_vector("/initial_energy", e0_all);
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
    target.commit();
  });
  MPI_Barrier(comm);
}

}  // namespace iff::rollout
