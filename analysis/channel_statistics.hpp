// Running statistics and 1-D energy spectra of channel-flow snapshots, one
// implementation for every kind of series (DNS, LES, predictions).
//
// Input: one physical-space snapshot [nx][ny][nz][3] (u, v, w on a uniform x–z grid and any
// y grid). Accumulated over snapshots and x–z planes:
//   U(y) = <u>,  u'_rms = sqrt(<u²> - <u>²) (same for v, w),  -<u'v'> = -(<uv> - <u><v>)
//   E_ii(kx; y_j): one-sided 1-D spectrum in x of the plane fluctuation u_i - <u_i>_xz(y_j),
//   averaged over z lines and snapshots; E_ii(kz; y_j) likewise. Normalised so that
//   sum_kx E_ii(kx) = sum_kz E_ii(kz) = <u_i'²> at y_j (Parseval).
// LES runs add, per sample, plane profiles of the SGS model (solvers/sgs_model.hpp):
//   <ν_t>(y),  ε_sgs(y) = <2 ν_t S_ij S_ij> = −<τ_ij S_ij>,  C(y) (the DSM's dynamic
//   coefficient; (C_s D)² for Smagorinsky, C_w² for WALE), averaged over the samples.
//
// Snapshots split in x-slabs over the ranks of a communicator (set_slab): each rank adds its
// planes; the profiles are its planes' share of each plane average, and the spectra planes
// y_j are gathered on the communicator's rank 0, which transforms them. reduce() then sums
// the ranks' profiles on rank 0 in rank order (the same bits for the same split), and rank 0
// holds the statistics of the whole snapshots. Unsplit, the code is the serial one.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

namespace iff::analysis {

struct WallUnits;

/// For each y+ in `y_plus` (distance above the lower wall y = −1 in wall units,
/// y+ = (1 + y) Re_tau), the index of the node of `y` nearest to it; repeats are dropped,
/// the order is kept. These are the spectra locations of ChannelStatistics.
std::vector<int> nearest_y_plus_indices(const std::vector<double>& y, const std::vector<double>& y_plus, double re_tau);

class ChannelStatistics {
 public:
  /// `y`: the ny wall-normal coordinates; `spectra_j`: y indices where spectra are kept.
  ChannelStatistics(int nx, int ny, int nz, double lx, double lz, std::vector<double> y,
                    std::vector<int> spectra_j = {});

  /// Snapshots from now on are split: this rank adds `nx_local` consecutive x planes of
  /// each, the ranks of `comm` holding the slabs in rank order. Before the first add().
  void set_slab(int nx_local, MPI_Comm comm);
  /// Adds one snapshot [nx][ny][nz][3] (split: this rank's planes, [nx_local][ny][nz][3];
  /// collective over the slab's communicator when there are spectra).
  void add(const double* field);
  /// Split: the sums of every rank on rank 0 of the slab's communicator, which then holds the
  /// statistics (the others hold none). Collective; a no-op unsplit.
  void reduce();
  long samples() const { return n_; }
  /// Adds the SGS profiles of one LES state (ny values each, in the order of y).
  void add_sgs(const double* nu_t, const double* dissipation, const double* coefficient);
  long sgs_samples() const { return n_sgs_; }
  std::vector<double> mean_eddy_viscosity() const;  ///< <ν_t>(y)
  std::vector<double> sgs_dissipation() const;      ///< ε_sgs(y) = <2 ν_t S_ij S_ij>
  std::vector<double> sgs_coefficient() const;      ///< time average of C(y)

  std::vector<double> mean(int comp) const;         ///< <u_comp>(y)
  std::vector<double> rms(int comp) const;          ///< u'_comp,rms(y)
  std::vector<double> reynolds_shear() const;       ///< -<u'v'>(y)
  /// E_ii(kx) at spectra index s (kx = 2π i / lx, i = 0..nx/2).
  std::vector<double> spectrum_x(int comp, int s) const;
  /// E_ii(kz) at spectra index s (kz = 2π j / lz, j = 0..nz/2).
  std::vector<double> spectrum_z(int comp, int s) const;
  const std::vector<int>& spectra_indices() const { return sj_; }

  /// Writes profiles.csv, spectra_kx.csv and spectra_kz.csv into `dir` (atomically). When
  /// re_tau > 0 (wall units), y+ and the profiles in wall units are added with the given
  /// u_tau (analysis/wall_units.hpp decides both). With SGS samples,
  /// the columns nu_t, eps_sgs, c_sgs follow (and nu_t_over_nu = ν_t Re_tau/u_tau,
  /// eps_sgs_plus = ε_sgs/(Re_tau u_tau³) in wall units, ν = u_tau h/Re_tau).
  void write_csv(const std::string& dir, double re_tau = 0.0, double u_tau = 1.0) const;
  /// Writes the same tables into an HDF5 file (serial, atomically); with `wall`, also the
  /// root attributes u_tau, re_tau and wall_units_source (its description).
  void write_h5(const std::string& path, const WallUnits* wall = nullptr) const;

 private:
  /// The spectra of one plane y_j = sj[s], [nx][nz][3], of one whole snapshot.
  void add_spectra(std::size_t s, const double* plane);
  int nx_, ny_, nz_;
  int nx_local_;
  MPI_Comm comm_ = MPI_COMM_SELF;
  double lx_, lz_;
  std::vector<double> y_;
  std::vector<int> sj_;
  long n_ = 0;
  std::vector<double> s1_, s2_, suv_;          // [ny][3] sums of u_i, u_i², and [ny] of uv
  std::vector<double> ex_, ez_;                // [ns][3][nx/2+1], [ns][3][nz/2+1]
  long n_sgs_ = 0;
  std::vector<double> snut_, seps_, sc_;       // [ny] sums of the SGS profiles
};

}  // namespace iff::analysis
