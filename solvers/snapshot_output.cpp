#include "solvers/snapshot_output.hpp"

#include <cmath>
#include <filesystem>

#include "io/comm.hpp"
#include "solvers/channel_diagnostics.hpp"

namespace iff::solvers {

SnapshotOutput::SnapshotOutput(const std::string& path, int snapshot_every, const SeriesMeta& meta, ChannelNSE& nse,
                               long restart_step, MPI_Comm comm)
    : every_(snapshot_every), nse_(nse), root_(comm_rank(comm) == 0) {
  const bool restart = restart_step >= 0;
  if (restart && std::filesystem::exists(path)) {
    {
      const SeriesReader existing(path, MPI_COMM_SELF);
      if (existing.file().exists("/first_step"))
        first_ = std::lround(existing.file().read_vector("/first_step").at(0)) / every_;
    }
    series_ = std::make_unique<SeriesWriter>(
        SeriesWriter::resume(path, int(restart_step / every_ - first_) + 1, {"/first_step"}, comm));
    write_at_start_ = false;
    return;
  }
  series_ = std::make_unique<SeriesWriter>(path, meta, comm, WriteMode::in_place);
  if (restart) {
    // the earlier snapshots are in the checkpoint's run
    first_ = (restart_step + every_ - 1) / every_;
    series_->write_record("/first_step", {double(first_ * every_)});
  }
}

void SnapshotOutput::start(const StepBoundary& b) {
  if (write_at_start_ && due(b)) write(b);
}

void SnapshotOutput::write(const StepBoundary& b) {
  const int index = static_cast<int>(b.step / every_ - first_);
  auto f = gather_velocity(nse_, *b.state);
  SeriesBlock block;
  if (root_) block = SeriesBlock{0, 1, 0, nse_.grid().nx};
  series_->write(index, b.time, block, root_ ? f.data() : nullptr);
  if (series_->meta().wall) {
    // this snapshot's wall units, from the spectral mean profile (collective)
    const double u_tau = std::sqrt(std::max(0.0, wall_shear(nse_, *b.state)));
    series_->write_wall_units(index, 1, block, &u_tau);
  }
}

}  // namespace iff::solvers
