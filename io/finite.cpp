#include "io/finite.hpp"

#include <cmath>

#include <fmt/format.h>

#include "io/error.hpp"

namespace iff {

void require_finite(const double* values, int nx, int ny, int nz, const std::string& components,
                    const SnapshotOrigin& o, int x0) {
  const std::size_t c = components.size();
  const std::size_t n = static_cast<std::size_t>(nx) * ny * nz * c;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isfinite(values[i])) continue;
    const std::size_t point = i / c;
    const int k = static_cast<int>(point % nz), j = static_cast<int>(point / nz % ny),
              ix = static_cast<int>(point / (static_cast<std::size_t>(nz) * ny));
    throw InputError(fmt::format("{} {}: non-finite value {} in trajectory {}, time index {} (t = {:.10g}), "
                                 "component {} at grid point (x, y, z) = ({}, {}, {})",
                                 o.what, o.file, values[i], o.trajectory, o.time_index, o.time, components[i % c],
                                 x0 + ix, j, k));
  }
}

}  // namespace iff
