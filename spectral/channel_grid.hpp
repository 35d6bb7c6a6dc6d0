// The channel's Fourier × Chebyshev × Fourier discretisation and its MPI slab layout.
//
// Box [0, lx) × [-1, 1] × [0, lz); nx, nz Fourier modes in x, z (even), ny Gauss–Lobatto
// points in y. Resolved wavenumbers kx = 2 pi i / lx, i = 0..nx/2-1 (real field: kx >= 0
// stored), kz = 2 pi j / lz, j = -(nz/2-1)..nz/2-1 (stored at index j mod nz; the Nyquist
// slot j = nz/2 stays zero). Quadratic products are evaluated on the 3/2-padded grid
// (3nx/2 × ny × 3nz/2), which removes their aliasing in x and z (Orszag's 3/2 rule).
//
// Spectral coefficients are normalised as u(x, z) = sum_{kx, kz} û e^{i(kx x + kz z)}, where
// the sum runs over both signs of kx (û(-kx,-kz) = conj û(kx,kz)).
//
// MPI (docs/design.md, physics conventions): physical space is split in slabs of y planes (every rank holds whole
// padded x–z planes for y indices [y0, y0 + ny_local)); spectral space is split in blocks
// of wavenumber pairs m = j_kz * nx/2 + i_kx (every rank holds all ny Chebyshev coefficients
// of modes [m0, m0 + nm_local)). FFTW-MPI transposes move data between the two layouts.
#pragma once

#include <fftw3-mpi.h>
#include <mpi.h>

#include <complex>
#include <vector>

#include "spectral/chebyshev.hpp"

namespace iff::spectral {

struct ChannelGrid {
  int nx = 32;         ///< Fourier modes in x (even)
  int ny = 33;         ///< Gauss–Lobatto points in y (>= 5)
  int nz = 32;         ///< Fourier modes in z (even)
  double lx = 4 * M_PI;      ///< streamwise box length (units of h)
  double lz = 4 * M_PI / 3;  ///< spanwise box length (units of h)

  void validate() const;
  int nxp() const { return 3 * nx / 2; }  ///< padded points in x
  int nzp() const { return 3 * nz / 2; }  ///< padded points in z
  int nkx() const { return nx / 2; }      ///< stored kx >= 0 (Nyquist dropped)
  int nmodes() const { return nkx() * nz; }
  /// Mode index of (i_kx, j_kz): kz-major, so that the kx of one kz row are contiguous (as in
  /// the x-transformed physical rows).
  int mode(int ikx, int jkz) const { return jkz * nkx() + ikx; }
  int ikx(int m) const { return m % nkx(); }
  int jkz(int m) const { return m / nkx(); }
  /// Signed spanwise index of storage slot j (the Nyquist slot returns nz/2).
  int signed_kz(int j) const { return j <= nz / 2 ? j : j - nz; }
  bool is_nyquist(int m) const { return jkz(m) == nz / 2; }
  double kx(int m) const { return 2.0 * M_PI * ikx(m) / lx; }
  double kz(int m) const { return 2.0 * M_PI * signed_kz(jkz(m)) / lz; }
  std::vector<double> y() const { return chebyshev_points(ny); }
  /// Storage slot of the conjugate partner (0, -kz) of a kx = 0 mode.
  int conjugate_slot(int m) const { return ikx(m) == 0 ? mode(0, (nz - jkz(m)) % nz) : m; }
};

/// Slab-decomposed transforms between the padded physical grid and Chebyshev–Fourier
/// coefficients, for up to `max_fields` scalar fields at once.
///   physical field f: real [ny_local][nzp][nxp] (x fastest), y index y0 + local
///   spectral block:   complex [nm_local][ny][nf] Chebyshev coefficients of modes m0 + local
class ChannelTransform {
 public:
  /// `fftw_flags`: FFTW_ESTIMATE (deterministic plans: bit-for-bit restarts) or FFTW_MEASURE.
  ChannelTransform(const ChannelGrid& g, MPI_Comm comm, int max_fields = 6, unsigned fftw_flags = FFTW_ESTIMATE);
  ~ChannelTransform();
  ChannelTransform(const ChannelTransform&) = delete;
  ChannelTransform& operator=(const ChannelTransform&) = delete;

  const ChannelGrid& grid() const { return g_; }
  MPI_Comm comm() const { return comm_; }
  int y0() const { return y0_; }
  int ny_local() const { return nyl_; }
  int m0() const { return m0_; }
  int nm_local() const { return nml_; }
  int max_fields() const { return nfmax_; }

  double* phys(int f) { return phys_[f]; }
  const double* phys(int f) const { return phys_[f]; }
  std::size_t phys_plane() const { return std::size_t(g_.nzp()) * g_.nxp(); }
  cplx* spec() { return reinterpret_cast<cplx*>(spec_); }

  /// phys(0..nf) -> spec() (coefficients, dealiased: only resolved modes kept).
  void to_spectral(int nf);
  /// spec() -> phys(0..nf); spec() is overwritten.
  void to_physical(int nf);
  /// Only the FFTW work of to_spectral(nf) / to_physical(nf) (x–z FFTs of every field, the
  /// FFTW-MPI transpose, the DCT-I in y), without packing, truncation and scaling: the FFT
  /// floor the benchmark compares the solver with. Leaves the buffers with garbage.
  void fftw_only(int nf, bool forward);
  /// Scalar 3-D transforms done so far (one per field per direction).
  long transforms() const { return count_; }

 private:
  ChannelGrid g_;
  MPI_Comm comm_;
  int nfmax_;
  ptrdiff_t y0_ = 0, nyl_ = 0, m0_ = 0, nml_ = 0;
  std::vector<double*> phys_;
  fftw_complex* plane_ = nullptr;  // [ny_local][nzp][nxp/2+1]
  double* ybuf_ = nullptr;         // [ny_local][nm][nf] complex
  double* spec_ = nullptr;         // [nm_local][ny][nf] complex
  fftw_plan r2c_ = nullptr, c2r_ = nullptr, zf_ = nullptr, zb_ = nullptr;  // x: r2c/c2r; z: c2c on resolved kx
  std::vector<fftw_plan> fwd_t_, bwd_t_, dct_;
  long count_ = 0;
};

}  // namespace iff::spectral
