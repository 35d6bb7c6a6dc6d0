// Rank-0 logging with levels (spdlog underneath) and a progress line for long loops.
//
//   iff::log::info("grid {}x{}x{}", nx, ny, nz);     // printed by rank 0 only
//   iff::Progress p("dns", n_steps);                  // step, rate, ETA every few seconds
//   p.update(step, fmt::format("t={:.3f}", t));
#pragma once

#include <chrono>
#include <string>

#include <spdlog/spdlog.h>

namespace iff::log {

/// Sets up the logger: only `rank` 0 prints below `error`; level is one of
/// trace, debug, info, warn, error.
void init(int rank, const std::string& level = "info");

template <class... Args>
void info(spdlog::format_string_t<Args...> f, Args&&... args) {
  spdlog::info(f, std::forward<Args>(args)...);
}
template <class... Args>
void warn(spdlog::format_string_t<Args...> f, Args&&... args) {
  spdlog::warn(f, std::forward<Args>(args)...);
}
template <class... Args>
void debug(spdlog::format_string_t<Args...> f, Args&&... args) {
  spdlog::debug(f, std::forward<Args>(args)...);
}
template <class... Args>
void error(spdlog::format_string_t<Args...> f, Args&&... args) {
  spdlog::error(f, std::forward<Args>(args)...);
}

}  // namespace iff::log

namespace iff {

/// Formats seconds as "1h02m", "3m05s" or "12.3s".
std::string format_duration(double seconds);

/// Progress line for a loop of `total` steps: prints step/total, rate, ETA and an optional
/// extra text at most every `interval_s` seconds (and at the last step), on rank 0.
class Progress {
 public:
  Progress(std::string name, long total, double interval_s = 5.0);
  void update(long step, const std::string& extra = "");
  /// For a loop that runs to a time `t_end` with a varying step (a CFL-controlled DNS): the
  /// fraction done and the ETA follow the simulated time t, not the step count.
  void update_to_time(long step, double t, double t_end, const std::string& extra = "");
  double elapsed() const;

 private:
  using clock = std::chrono::steady_clock;
  std::string name_;
  long total_;
  double interval_;
  clock::time_point start_, last_;
};

}  // namespace iff
