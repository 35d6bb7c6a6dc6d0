// XDMF (version 2) descriptions of series files, so that ParaView opens a series itself
// (DNS snapshots, training sets, LES output, predictions) without a copy of its fields.
//
// Every series ifactflow writes gets one beside it when it is completed (snapshots.h5 →
// snapshots.xmf); `ifactflow xdmf SERIES.h5` writes one for any series (a run that was
// stopped, an imported file). Open it in ParaView with the "XDMF Reader" (Xdmf2, the one
// that reads temporal collections of rectilinear grids; the Xdmf3 readers append the time
// steps as pieces).
//
// Per trajectory, a temporal collection of 3DRectMesh grids at the series' /time, whose
// fields are hyperslabs of /velocity (and /pressure) in the .h5 file next to it (referred to
// by its path relative to the .xmf, so the two can be moved together). XDMF takes the fastest-varying
// array axis as its X; the series stores z fastest and x slowest ([.., nx, ny, nz, 3]), so
// ParaView shows
//   ParaView X = spanwise z,  Y = wall-normal y,  Z = streamwise x,
// a mirror image of the channel's (x, y, z) frame. The vector "velocity" is given in
// ParaView's frame, (w, v, u), so that glyphs and stream lines follow the flow there; the
// scalars u, v, w (and p) are the components by their physical names. The Transform
// filter with Rotate (0, 90, 0) and then Scale (1, 1, -1) brings the data back to (x, y, z).
#pragma once

#include <string>
#include <vector>

#include "io/series.hpp"

namespace iff {

/// The XDMF file beside a series: its path with the extension replaced by ".xmf".
std::string xdmf_path_for(const std::string& series_path);

/// The XDMF text for the series at `series_path` (read and validated; serial), to be written
/// at `xdmf_path` (it refers to the series by its path relative to that file's folder).
std::string series_xdmf(const std::string& series_path, const std::string& xdmf_path);

/// The same for a series described by `meta` with snapshots at `times` (not read again).
std::string series_xdmf(const SeriesMeta& meta, const std::vector<double>& times, const std::string& series_path,
                        const std::string& xdmf_path);

/// Writes series_xdmf(series_path) to `xdmf_path` through a temporary file and a rename.
void write_series_xdmf(const std::string& series_path, const std::string& xdmf_path);
/// The same for the series its writer has just closed (`meta` its own; only /time is read).
void write_series_xdmf(const SeriesMeta& meta, const std::string& series_path, const std::string& xdmf_path);

}  // namespace iff
