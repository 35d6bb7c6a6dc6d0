#include "rollout/vtk_output.hpp"

#include <fmt/format.h>

namespace iff::rollout {

VtkOutput::VtkOutput(std::string dir, const SeriesMeta& meta, int every, int trajectories, double dt)
    : dir_(std::move(dir)),
      meta_(meta),
      every_(every),
      trajectories_(trajectories),
      dt_(dt),
      grad_(meta.nx(), meta.ny(), meta.nz(), meta.lx, meta.lz) {}

PvdCollection& VtkOutput::collection(int id) {
  auto& coll = pvd_[id];
  if (!coll) coll = std::make_unique<PvdCollection>(fmt::format("{}/vtk/rollout_traj{}.pvd", dir_, id));
  return *coll;
}

void VtkOutput::resume(const std::vector<Trajectory>& local) {
  if (!active()) return;
  for (const auto& t : local) {
    if (t.id >= trajectories_) continue;
    auto& coll = collection(t.id);
    for (int step = 0; step <= t.completed; step += every_)
      coll.add(t.t0 + step * dt_, fmt::format("traj{}_step{:06d}.vtr", t.id, step));
  }
}

void VtkOutput::at(int step, const Trajectory& t, const Field* reference) {
  if (!active() || step % every_ != 0 || t.id >= trajectories_) return;
  std::vector<double> vort, q, diff;
  grad_.vorticity_and_q(t.state().data(), vort, q);
  std::vector<VtkField> fields = {{"velocity", 3, t.state().data()}, {"vorticity", 3, vort.data()}, {"Q", 1, q.data()}};
  if (reference) {
    diff.resize(reference->size());
    for (std::size_t p = 0; p < diff.size(); ++p) diff[p] = t.state()[p] - (*reference)[p];
    fields.push_back({"error", 3, diff.data()});
  }
  const std::string name = fmt::format("traj{}_step{:06d}.vtr", t.id, step);
  write_vtr(dir_ + "/vtk/" + name, VtkPiece{meta_.x, meta_.y, meta_.z, 0}, fields);
  collection(t.id).add(t.t0 + step * dt_, name);
}

}  // namespace iff::rollout
