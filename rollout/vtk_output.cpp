#include "rollout/vtk_output.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "io/error.hpp"

namespace iff::rollout {

VtkOutput::VtkOutput(std::string dir, const SeriesMeta& meta, int every, int trajectories, double dt)
    : dir_(std::move(dir)),
      meta_(meta),
      every_(every),
      trajectories_(trajectories),
      dt_(dt),
      x_(meta.x),
      z_(meta.z),
      grad_(meta.nx(), meta.ny(), meta.nz(), meta.lx, meta.lz) {
  IFF_REQUIRE(every_ <= 0 || vtk_built(),
              "VTK output every " << every_ << " steps: VTK output is not built (IFF_WITH_VTK=OFF)");
  x_.push_back(meta.box_lx());
  z_.push_back(meta.box_lz());
}

std::vector<double> VtkOutput::closed(const double* f, int c) const {
  const int nx = meta_.nx(), ny = meta_.ny(), nz = meta_.nz();
  std::vector<double> out(static_cast<std::size_t>(nx + 1) * ny * (nz + 1) * c);
  for (int i = 0; i <= nx; ++i)
    for (int j = 0; j < ny; ++j)
      for (int k = 0; k <= nz; ++k) {
        const double* src = f + ((static_cast<std::size_t>(i % nx) * ny + j) * nz + k % nz) * c;
        std::copy_n(src, c, out.begin() + ((static_cast<std::size_t>(i) * ny + j) * (nz + 1) + k) * c);
      }
  return out;
}

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
      coll.add(step * dt_, fmt::format("traj{}_step{:06d}.vtr", t.id, step));
  }
}

void VtkOutput::at(int step, const Trajectory& t, const Field& state, const Field* reference) {
  if (!due(step, t.id)) return;
  std::vector<double> vort, q, diff;
  grad_.vorticity_and_q(state.data(), vort, q);
  const auto u = closed(state.data(), 3), w = closed(vort.data(), 3), qc = closed(q.data(), 1);
  std::vector<VtkField> fields = {{"velocity", 3, u.data()}, {"vorticity", 3, w.data()}, {"Q", 1, qc.data()}};
  if (reference) {
    diff.resize(reference->size());
    for (std::size_t p = 0; p < diff.size(); ++p) diff[p] = state[p] - (*reference)[p];
    diff = closed(diff.data(), 3);
    fields.push_back({"error", 3, diff.data()});
  }
  VtkFieldData info;
  info.numbers = {{"TimeValue", step * dt_}, {"initial_time", t.t0}, {"step", double(step)}};
  info.texts = {{"units", meta_.units}, {"trajectory", t.label}};
  const std::string name = fmt::format("traj{}_step{:06d}.vtr", t.id, step);
  write_vtr(dir_ + "/vtk/" + name, VtkPiece{x_, meta_.y, z_, 0}, fields, /*single=*/true, info);
  collection(t.id).add(step * dt_, name);
}

}  // namespace iff::rollout
