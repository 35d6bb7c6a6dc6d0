#include "rollout/engine.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "io/error.hpp"
#include "io/log.hpp"
#include "io/memory.hpp"

namespace iff::rollout {

int stopped_early(const std::vector<Trajectory>& local, MPI_Comm comm, std::string* reason) {
  int mine = 0, all = 0;
  *reason = "on another rank";
  for (const auto& t : local)
    if (!t.alive && mine++ == 0) *reason = t.stop_reason;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_SUM, comm);
  return all;
}

void require_rollout_memory(const Stepper& stepper, int trajectories, int batch, int buffered, std::size_t snapshot_size,
                            const std::string& grid, MPI_Comm comm) {
  const int window = stepper.window(), per_call = std::max(1, std::min(batch, trajectories));
  std::string how;
  const double call = stepper.memory_bytes(per_call, &how);
  const double states = double(trajectories) * (window + 1 + buffered) * snapshot_size * 8;
  require_memory(call + states, fmt::format("rolling out {} trajectory(ies) per rank on {}", trajectories, grid),
                 (how.empty() ? std::string() : how + "; ") +
                     fmt::format("{} float64 states per trajectory", window + 1 + buffered),
                 comm);
}

RolloutEngine::RolloutEngine(RolloutParams params, MPI_Comm comm, MPI_Comm slab_comm)
    : p_(params), comm_(comm), slab_comm_(slab_comm) {
  IFF_REQUIRE(p_.steps >= 0, "rollout.steps must be non-negative, got " << p_.steps);
  IFF_REQUIRE(p_.batch >= 1, "rollout.batch must be positive, got " << p_.batch);
  IFF_REQUIRE(p_.energy_band == 0.0 || p_.energy_band > 1.0,
              "rollout.energy_band must be 0 (off) or > 1, got " << p_.energy_band);
}

void RolloutEngine::run(Stepper& stepper, std::vector<Trajectory>& local, const Energy& energy,
                        const ReferenceEnergy& reference, const Observer& observer) const {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm_, &rank);
  MPI_Comm_size(comm_, &size);
  const int window = stepper.window();
  for (const auto& t : local)
    IFF_CHECK(static_cast<int>(t.history.size()) == window,
              "trajectory " << t.id << " starts with " << t.history.size() << " states, the stepper needs " << window);
  IFF_CHECK(p_.first_step >= 0 && p_.first_step <= p_.steps,
            "rollout resumed at step " << p_.first_step << " of " << p_.steps);
  if (p_.first_step == 0) {
    for (auto& t : local) t.initial_energy = energy(t.state());
    observer(0, local);
  }

  Progress progress("rollout", p_.steps, p_.progress_seconds);
  std::vector<Field> next;
  for (int step = p_.first_step + 1; step <= p_.steps; ++step) {
    std::vector<std::size_t> alive;
    for (std::size_t i = 0; i < local.size(); ++i)
      if (local[i].alive) alive.push_back(i);
    for (std::size_t b0 = 0; b0 < alive.size(); b0 += p_.batch) {
      const std::size_t b1 = std::min(alive.size(), b0 + p_.batch);
      std::vector<std::vector<const Field*>> hist(b1 - b0);
      std::vector<int> ids(b1 - b0);
      for (std::size_t b = b0; b < b1; ++b) {
        for (const auto& f : local[alive[b]].history) hist[b - b0].push_back(&f);
        ids[b - b0] = local[alive[b]].id;
      }
      next.assign(b1 - b0, Field());
      stepper.advance(ids, hist, next);
      for (std::size_t b = b0; b < b1; ++b) {
        Trajectory& t = local[alive[b]];
        Field& f = next[b - b0];
        std::string cause;
        // finite on every slab of the state: the group stops it together
        int finite = std::all_of(f.begin(), f.end(), [](double v) { return std::isfinite(v); });
        if (slab_comm_ != MPI_COMM_SELF) MPI_Allreduce(MPI_IN_PLACE, &finite, 1, MPI_INT, MPI_MIN, slab_comm_);
        if (!finite) {
          cause = "non-finite state";
        } else if (p_.energy_band > 0) {
          const double e = energy(f);
          const double ref = reference(t.id, step).value_or(t.initial_energy);
          if (!(e <= ref * p_.energy_band && e >= ref / p_.energy_band))
            cause = fmt::format("kinetic energy {:.6g} outside [{:.6g}, {:.6g}] (reference {:.6g} times 1/{} .. {})", e,
                                ref / p_.energy_band, ref * p_.energy_band, ref, p_.energy_band, p_.energy_band);
        }
        if (!cause.empty()) {
          t.alive = false;
          t.stop_reason = fmt::format("trajectory {} ({}) stopped at step {} (t = {:.6g}): {}; its output ends at step {}",
                                      t.id, t.label, step, t.t0 + step * p_.dt, cause, t.completed);
          log::error("rollout: {}", t.stop_reason);
          continue;
        }
        t.history.push_back(std::move(f));
        if (static_cast<int>(t.history.size()) > window) t.history.pop_front();
        t.completed = step;
      }
    }
    observer(step, local);
    int alive_here = 0;
    for (const auto& t : local) alive_here += t.alive ? 1 : 0;
    std::vector<int> loads(size);
    MPI_Gather(&alive_here, 1, MPI_INT, loads.data(), 1, MPI_INT, 0, comm_);
    std::string load;
    for (int r = 0; r < size; ++r) load += (r ? "/" : "") + std::to_string(loads[r]);
    progress.update(step, fmt::format("live trajectories per rank {}", load));
  }
}

}  // namespace iff::rollout
