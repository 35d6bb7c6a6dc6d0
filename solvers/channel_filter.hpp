// Filtering a channel snapshot onto a coarser grid (filtered DNS, docs/design.md, physics conventions).
//
// x and z: a low-pass filter with the coarse grid's cut-off. The kept Fourier modes are
// |kx| < NX/2 and |kz| < NZ/2 (the coarse Nyquist modes are dropped, so the coarse field is
// real and the filter is a projection), each multiplied by the transfer function G:
//   sharp:    G = 1                                   (spectral cut-off, the default)
//   box:      G(k) = sin(k Δ/2) / (k Δ/2)              (top hat of width Δ)
//   gaussian: G(k) = exp(-k² Δ² / 24)                  (Gaussian of the same second moment)
// with Δ = width_ratio · (coarse spacing) per direction (Pope 2000, §13.2).
// y: projection onto the first NY Chebyshev polynomials (truncation of the fine grid's
// Chebyshev series), evaluated at the NY coarse Gauss–Lobatto points; exact for
// polynomials of degree < NY. The sharp filter is therefore idempotent and leaves a field
// already inside the coarse band unchanged.
//
// Fields are [n_x][n_y][n_z][c] with y ascending on Gauss–Lobatto points (the data contract).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "io/enum_names.hpp"

namespace iff::solvers {

enum class FilterKind { sharp, box, gaussian };
inline const EnumNames<FilterKind> kFilterKindNames{
    {FilterKind::sharp, "sharp"}, {FilterKind::box, "box"}, {FilterKind::gaussian, "gaussian"}};
inline std::string to_string(FilterKind k) { return kFilterKindNames.name(k); }

struct FilterSpec {
  int nx = 0, ny = 0, nz = 0;      ///< fine grid
  int NX = 0, NY = 0, NZ = 0;      ///< coarse grid (NX <= nx, NY <= ny, NZ <= nz)
  double lx = 0.0, lz = 0.0;       ///< box lengths
  FilterKind kind = FilterKind::sharp;
  double width_ratio = 2.0;        ///< Δ / coarse spacing (box, gaussian)
  /// One line for the series' `filter` attribute.
  std::string describe() const;
};

class ChannelFilter {
 public:
  explicit ChannelFilter(const FilterSpec& spec);
  ~ChannelFilter();
  ChannelFilter(const ChannelFilter&) = delete;
  ChannelFilter& operator=(const ChannelFilter&) = delete;

  /// Filters `components` interleaved fields fine [nx][ny][nz][c] -> coarse [NX][NY][NZ][c].
  void apply(const double* fine, double* coarse, int components = 3) const;
  const FilterSpec& spec() const { return spec_; }

 private:
  struct Impl;
  FilterSpec spec_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace iff::solvers
