#include "io/log.hpp"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace iff::log {

void init(int rank, const std::string& level) {
  auto logger = spdlog::stderr_color_mt(rank == 0 ? "ifactflow" : fmt::format("ifactflow[{}]", rank));
  logger->set_pattern("[%H:%M:%S] %^%l%$ %v");
  spdlog::set_default_logger(logger);
  auto lvl = spdlog::level::from_str(level);
  if (rank != 0 && lvl < spdlog::level::err) lvl = spdlog::level::err;
  spdlog::set_level(lvl);
}

}  // namespace iff::log

namespace iff {

std::string format_duration(double s) {
  if (!(s >= 0) || s > 1e8) return "?";
  if (s < 60) return fmt::format("{:.1f}s", s);
  const long t = static_cast<long>(s + 0.5);
  if (t < 3600) return fmt::format("{}m{:02d}s", t / 60, static_cast<int>(t % 60));
  return fmt::format("{}h{:02d}m", t / 3600, static_cast<int>((t % 3600) / 60));
}

Progress::Progress(std::string name, long total, double interval_s)
    : name_(std::move(name)), total_(total), interval_(interval_s), start_(clock::now()), last_(start_) {}

double Progress::elapsed() const { return std::chrono::duration<double>(clock::now() - start_).count(); }

void Progress::update(long step, const std::string& extra) {
  const auto now = clock::now();
  const bool last = step >= total_;
  if (!last && std::chrono::duration<double>(now - last_).count() < interval_) return;
  last_ = now;
  const double el = elapsed();
  const double rate = el > 0 ? step / el : 0.0;
  const double eta = rate > 0 ? (total_ - step) / rate : -1.0;
  spdlog::info("{} {}/{} {}{}{:.3g} steps/s, elapsed {}, ETA {}", name_, step, total_, extra,
               extra.empty() ? "" : ", ", rate, format_duration(el), last ? "0s" : format_duration(eta));
}

void Progress::update_to_time(long step, double t, double t_end, const std::string& extra) {
  const auto now = clock::now();
  const bool last = t >= t_end * (1.0 - 1e-12);
  if (!last && std::chrono::duration<double>(now - last_).count() < interval_) return;
  last_ = now;
  const double el = elapsed();
  const double rate = el > 0 ? step / el : 0.0;
  const double eta = t > 0 ? el * (t_end - t) / t : -1.0;
  spdlog::info("{} step {}, {:.1f}% of t_end = {}, {}{}{:.3g} steps/s, elapsed {}, ETA {}", name_, step,
               100.0 * std::min(t / t_end, 1.0), t_end, extra, extra.empty() ? "" : ", ", rate, format_duration(el),
               last ? "0s" : format_duration(eta));
}

}  // namespace iff
