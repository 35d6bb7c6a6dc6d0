#include "solvers/checkpoint_output.hpp"

#include <fmt/format.h>

#include "solvers/channel_dns.hpp"

namespace iff::solvers {

CheckpointOutput::CheckpointOutput(std::string path, const ChannelNSE& nse, const Sbdf& sbdf,
                                   const std::string& config, int checkpoint_every, long on_disk_step)
    : path_(std::move(path)), nse_(nse), sbdf_(sbdf), config_(config), every_(checkpoint_every), last_(on_disk_step) {}

void CheckpointOutput::scheme_restarted() { history_forcing_ = nse_.forcing(); }

std::string CheckpointOutput::kept() const {
  return last_ >= 0 ? fmt::format("last good checkpoint {} (step {})", path_, last_)
                    : std::string("no checkpoint written yet");
}

void CheckpointOutput::write(const StepBoundary&) {
  write_checkpoint(path_, nse_, sbdf_.history(), sbdf_.dt(), config_,
                   sbdf_.starting() ? history_forcing_ : nse_.forcing());
  last_ = sbdf_.history().step;
}

}  // namespace iff::solvers
