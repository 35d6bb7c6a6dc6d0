// Running statistics and 1-D energy spectra of channel-flow snapshots (DESIGN.md §5), one
// implementation for every kind of series (DNS, LES, predictions).
//
// Input: one physical-space snapshot [nx][ny][nz][3] (u, v, w on a uniform x–z grid and any
// y grid). Accumulated over snapshots and x–z planes:
//   U(y) = <u>,  u'_rms = sqrt(<u²> - <u>²) (same for v, w),  -<u'v'> = -(<uv> - <u><v>)
//   E_ii(kx; y_j): one-sided 1-D spectrum in x of the plane fluctuation u_i - <u_i>_xz(y_j),
//   averaged over z lines and snapshots; E_ii(kz; y_j) likewise. Normalised so that
//   sum_kx E_ii(kx) = sum_kz E_ii(kz) = <u_i'²> at y_j (Parseval).
#pragma once

#include <string>
#include <vector>

namespace iff::solvers {

class ChannelStatistics {
 public:
  /// `y`: the ny wall-normal coordinates; `spectra_j`: y indices where spectra are kept.
  ChannelStatistics(int nx, int ny, int nz, double lx, double lz, std::vector<double> y,
                    std::vector<int> spectra_j = {});

  /// Adds one snapshot [nx][ny][nz][3].
  void add(const double* field);
  long samples() const { return n_; }

  std::vector<double> mean(int comp) const;         ///< <u_comp>(y)
  std::vector<double> rms(int comp) const;          ///< u'_comp,rms(y)
  std::vector<double> reynolds_shear() const;       ///< -<u'v'>(y)
  /// E_ii(kx) at spectra index s (kx = 2π i / lx, i = 0..nx/2).
  std::vector<double> spectrum_x(int comp, int s) const;
  /// E_ii(kz) at spectra index s (kz = 2π j / lz, j = 0..nz/2).
  std::vector<double> spectrum_z(int comp, int s) const;
  const std::vector<int>& spectra_indices() const { return sj_; }

  /// Writes profiles.csv, spectra_kx.csv and spectra_kz.csv into `dir` (atomically). When
  /// re_tau > 0 (wall units), y+ and the profiles in wall units are added (u_tau = 1 for
  /// pressure-gradient driving in wall units; pass u_tau for others).
  void write_csv(const std::string& dir, double re_tau = 0.0, double u_tau = 1.0) const;
  /// Writes the same tables into an HDF5 file (serial, atomically).
  void write_h5(const std::string& path) const;

 private:
  int nx_, ny_, nz_;
  double lx_, lz_;
  std::vector<double> y_;
  std::vector<int> sj_;
  long n_ = 0;
  std::vector<double> s1_, s2_, suv_;          // [ny][3] sums of u_i, u_i², and [ny] of uv
  std::vector<double> ex_, ez_;                // [ns][3][nx/2+1], [ns][3][nz/2+1]
};

}  // namespace iff::solvers
