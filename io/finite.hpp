// Rejection of non-finite input: a NaN or an infinity read from a file is an InputError
// naming the file, the trajectory, the snapshot (index and time), the component and the
// grid point, so that it never travels silently into an output.
//
//   iff::SnapshotOrigin at{"data/dns.h5", /*trajectory=*/2, /*time_index=*/7, /*time=*/0.35};
//   iff::require_finite(values.data(), nx, ny, nz, "uvw", at);
#pragma once

#include <cstddef>
#include <string>

namespace iff {

/// Where a snapshot was read from (for the message).
struct SnapshotOrigin {
  std::string file;     ///< file the values come from
  int trajectory = 0;   ///< trajectory in the file
  int time_index = 0;   ///< snapshot index in the file
  double time = 0.0;    ///< time of that snapshot
  std::string what = "series";  ///< kind of file: series, npy file, ...
};

/// Throws InputError at the first non-finite value of `values` = [nx][ny][nz][c] with
/// c = components.size() named by the letters of `components` ("uvw", "uvwp", "p"); `x0`
/// is the global index of the first x plane (a block of planes).
void require_finite(const double* values, int nx, int ny, int nz, const std::string& components,
                    const SnapshotOrigin& origin, int x0 = 0);

}  // namespace iff
