// How n items (trajectories, samples, snapshots) are shared by the parts (ranks, groups) of
// a job: contiguous ranges whose sizes differ by at most one, the larger ones first.
#pragma once

#include <cstdint>
#include <utility>

namespace iff {

/// [first, last) of n items for part `part` of `parts`.
inline std::pair<std::int64_t, std::int64_t> share_range(std::int64_t n, int part, int parts) {
  const std::int64_t base = n / parts, extra = n % parts;
  const std::int64_t first = part * base + (part < extra ? part : extra);
  return {first, first + base + (part < extra ? 1 : 0)};
}

}  // namespace iff
