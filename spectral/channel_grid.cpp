#include "spectral/channel_grid.hpp"

#include <cstring>

#include <fmt/format.h>

#include "io/error.hpp"
#include "io/memory.hpp"

namespace iff::spectral {

void ChannelGrid::validate() const {
  IFF_REQUIRE(nx >= 2 && nx % 2 == 0, "grid.nx must be even and >= 2, got " << nx);
  IFF_REQUIRE(nz >= 2 && nz % 2 == 0, "grid.nz must be even and >= 2, got " << nz);
  IFF_REQUIRE(ny >= 5, "grid.ny must be >= 5, got " << ny);
  IFF_REQUIRE(lx > 0 && lz > 0, "box lengths must be positive, got lx=" << lx << " lz=" << lz);
}

namespace {
void ensure_fftw_mpi() {
  static bool done = false;
  if (!done) {
    fftw_mpi_init();
    done = true;
  }
}
}  // namespace

ChannelTransform::ChannelTransform(const ChannelGrid& g, MPI_Comm comm, int max_fields, unsigned flags)
    : g_(g), comm_(comm), nfmax_(max_fields) {
  g_.validate();
  {
    // Peak resident memory of `dns`, measured (2 steps, 1 and 2 ranks, 32x33x32 to
    // 128x65x128): ~200 MB of libraries and fixed buffers per rank and 256 bytes per point of
    // the dealiased grid (3nx/2 x ny x 3nz/2) over the ranks; an LES (11 transform fields)
    // up to 640 (DSM; WALE 340).
    int ranks = 1;
    MPI_Comm_size(comm, &ranks);
    const double points = double(g_.nxp()) * g_.ny * g_.nzp();
    const double per_point = nfmax_ <= 6 ? 256.0 : 640.0;
    require_memory(200e6 + per_point * points / ranks,
                   fmt::format("the channel grid {}x{}x{} ({}x{}x{} dealiased)", g_.nx, g_.ny, g_.nz, g_.nxp(), g_.ny,
                               g_.nzp()),
                   fmt::format("{:.0f} bytes per dealiased point over the ranks and 200 MB", per_point), comm);
  }
  ensure_fftw_mpi();
  const ptrdiff_t ny = g_.ny, nm = g_.nmodes();
  const ptrdiff_t n[2] = {ny, nm};
  const ptrdiff_t alloc = fftw_mpi_local_size_many_transposed(2, n, 2 * nfmax_, FFTW_MPI_DEFAULT_BLOCK,
                                                              FFTW_MPI_DEFAULT_BLOCK, comm, &nyl_, &y0_, &nml_, &m0_);
  const std::size_t plane = phys_plane();
  const std::size_t cplane = std::size_t(g_.nzp()) * (g_.nxp() / 2 + 1);
  for (int f = 0; f < nfmax_; ++f) {
    phys_.push_back(fftw_alloc_real(std::max<std::size_t>(1, nyl_ * plane)));
    std::memset(phys_.back(), 0, sizeof(double) * std::max<std::size_t>(1, nyl_ * plane));
  }
  plane_ = fftw_alloc_complex(std::max<std::size_t>(1, nyl_ * cplane));
  ybuf_ = fftw_alloc_real(std::max<ptrdiff_t>(alloc, 1));
  spec_ = fftw_alloc_real(std::max<ptrdiff_t>(alloc, 1));
  std::memset(ybuf_, 0, sizeof(double) * std::max<ptrdiff_t>(alloc, 1));
  std::memset(spec_, 0, sizeof(double) * std::max<ptrdiff_t>(alloc, 1));

  if (nyl_ > 0) {
    // x: real <-> half-complex on every padded row; z: complex FFT only on the nkx resolved
    // kx columns (the 3/2-padding columns are zero), in place in plane_
    const int nxp = g_.nxp(), nxh = nxp / 2 + 1, rows = int(nyl_) * g_.nzp();
    r2c_ = fftw_plan_many_dft_r2c(1, &nxp, rows, phys_[0], nullptr, 1, nxp, plane_, nullptr, 1, nxh, flags);
    c2r_ = fftw_plan_many_dft_c2r(1, &nxp, rows, plane_, nullptr, 1, nxh, phys_[0], nullptr, 1, nxp, flags);
    fftw_iodim zdim{g_.nzp(), nxh, nxh};
    fftw_iodim zloops[2] = {{int(nyl_), int(cplane), int(cplane)}, {g_.nkx(), 1, 1}};
    zf_ = fftw_plan_guru_dft(1, &zdim, 2, zloops, plane_, plane_, FFTW_FORWARD, flags);
    zb_ = fftw_plan_guru_dft(1, &zdim, 2, zloops, plane_, plane_, FFTW_BACKWARD, flags);
    IFF_CHECK(zf_ && zb_, "FFTW could not plan the z transforms");
    IFF_CHECK(r2c_ && c2r_, "FFTW could not plan the x-z transforms");
  }
  for (int nf = 1; nf <= nfmax_; ++nf) {
    fwd_t_.push_back(fftw_mpi_plan_many_transpose(ny, nm, 2 * nf, FFTW_MPI_DEFAULT_BLOCK, FFTW_MPI_DEFAULT_BLOCK,
                                                  ybuf_, spec_, comm, flags));
    bwd_t_.push_back(fftw_mpi_plan_many_transpose(nm, ny, 2 * nf, FFTW_MPI_DEFAULT_BLOCK, FFTW_MPI_DEFAULT_BLOCK,
                                                  spec_, ybuf_, comm, flags));
    IFF_CHECK(fwd_t_.back() && bwd_t_.back(), "FFTW-MPI could not plan the transposes");
    fftw_plan dct = nullptr;
    if (nml_ > 0) {
      fftw_iodim dim{int(ny), 2 * nf, 2 * nf};
      fftw_iodim loops[2] = {{int(nml_), int(ny) * 2 * nf, int(ny) * 2 * nf}, {2 * nf, 1, 1}};
      fftw_r2r_kind kind = FFTW_REDFT00;
      dct = fftw_plan_guru_r2r(1, &dim, 2, loops, spec_, spec_, &kind, flags);
      IFF_CHECK(dct, "FFTW could not plan the Chebyshev transforms");
    }
    dct_.push_back(dct);
  }
  // FFTW_MEASURE planning may scribble on the arrays
  for (int f = 0; f < nfmax_; ++f) std::memset(phys_[f], 0, sizeof(double) * std::max<std::size_t>(1, nyl_ * plane));
  std::memset(spec_, 0, sizeof(double) * std::max<ptrdiff_t>(alloc, 1));
}

ChannelTransform::~ChannelTransform() {
  for (auto p : fwd_t_) fftw_destroy_plan(p);
  for (auto p : bwd_t_) fftw_destroy_plan(p);
  for (auto p : dct_)
    if (p) fftw_destroy_plan(p);
  if (r2c_) fftw_destroy_plan(r2c_);
  if (c2r_) fftw_destroy_plan(c2r_);
  if (zf_) fftw_destroy_plan(zf_);
  if (zb_) fftw_destroy_plan(zb_);
  for (auto p : phys_) fftw_free(p);
  fftw_free(plane_);
  fftw_free(ybuf_);
  fftw_free(spec_);
}

void ChannelTransform::to_spectral(int nf) {
  IFF_CHECK(nf >= 1 && nf <= nfmax_, "to_spectral: bad field count " << nf);
  const int nz = g_.nz, nkx = g_.nkx(), nm = g_.nmodes(), ny = g_.ny;
  const int nzp = g_.nzp(), nxh = g_.nxp() / 2 + 1;
  const double scale = 1.0 / (double(g_.nxp()) * g_.nzp());
  auto* yb = reinterpret_cast<cplx*>(ybuf_);
  const auto* pl = reinterpret_cast<const cplx*>(plane_);
  for (int f = 0; f < nf; ++f) {
    if (nyl_ == 0) break;
    fftw_execute_dft_r2c(r2c_, phys_[f], plane_);
    fftw_execute(zf_);
    for (ptrdiff_t y = 0; y < nyl_; ++y)
      for (int j = 0; j < nz; ++j) {
        cplx* out = yb + (y * nm + std::size_t(j) * nkx) * nf + f;  // modes (i, j), i = 0..nkx-1
        if (j == nz / 2) {  // Nyquist slot stays zero
          for (int i = 0; i < nkx; ++i) out[std::size_t(i) * nf] = 0.0;
          continue;
        }
        const int row = j < nz / 2 ? j : nzp - (nz - j);
        const cplx* in = pl + (y * nzp + row) * nxh;
        for (int i = 0; i < nkx; ++i) out[std::size_t(i) * nf] = in[i] * scale;
      }
  }
  fftw_mpi_execute_r2r(fwd_t_[nf - 1], ybuf_, spec_);
  if (nml_ > 0) {
    fftw_execute_r2r(dct_[nf - 1], spec_, spec_);
    const int m = ny - 1;
    auto* s = reinterpret_cast<cplx*>(spec_);
    for (ptrdiff_t q = 0; q < nml_; ++q)
      for (int k = 0; k < ny; ++k) {
        const double c = 1.0 / (m * ((k == 0 || k == m) ? 2.0 : 1.0));
        for (int f = 0; f < nf; ++f) s[(q * ny + k) * nf + f] *= c;
      }
  }
  count_ += nf;
}

void ChannelTransform::to_physical(int nf) {
  IFF_CHECK(nf >= 1 && nf <= nfmax_, "to_physical: bad field count " << nf);
  const int nz = g_.nz, nkx = g_.nkx(), nm = g_.nmodes(), ny = g_.ny;
  const int nzp = g_.nzp(), nxh = g_.nxp() / 2 + 1;
  if (nml_ > 0) {
    const int m = ny - 1;
    auto* s = reinterpret_cast<cplx*>(spec_);
    for (ptrdiff_t q = 0; q < nml_; ++q)
      for (int k = 1; k < m; ++k)
        for (int f = 0; f < nf; ++f) s[(q * ny + k) * nf + f] *= 0.5;
    fftw_execute_r2r(dct_[nf - 1], spec_, spec_);
  }
  fftw_mpi_execute_r2r(bwd_t_[nf - 1], spec_, ybuf_);
  const auto* yb = reinterpret_cast<const cplx*>(ybuf_);
  auto* pl = reinterpret_cast<cplx*>(plane_);
  for (int f = 0; f < nf; ++f) {
    if (nyl_ == 0) break;
    // every input value is rewritten (c2r destroys its input): kept modes or zero padding
    for (ptrdiff_t y = 0; y < nyl_; ++y)
      for (int row = 0; row < nzp; ++row) {
        cplx* out = pl + (y * nzp + row) * nxh;
        const int j = row < nz / 2 ? row : (row > nzp - nz / 2 ? nz + row - nzp : -1);  // storage slot
        int i = 0;
        if (j >= 0) {
          const cplx* in = yb + (y * nm + std::size_t(j) * nkx) * nf + f;
          for (; i < nkx; ++i) out[i] = in[std::size_t(i) * nf];
        }
        for (; i < nxh; ++i) out[i] = 0.0;
      }
    fftw_execute(zb_);
    fftw_execute_dft_c2r(c2r_, plane_, phys_[f]);
  }
  count_ += nf;
}

void ChannelTransform::fftw_only(int nf, bool forward) {
  IFF_CHECK(nf >= 1 && nf <= nfmax_, "fftw_only: bad field count " << nf);
  if (forward) {
    for (int f = 0; f < nf && nyl_ > 0; ++f) {
      fftw_execute_dft_r2c(r2c_, phys_[f], plane_);
      fftw_execute(zf_);
    }
    fftw_mpi_execute_r2r(fwd_t_[nf - 1], ybuf_, spec_);
    if (nml_ > 0) fftw_execute_r2r(dct_[nf - 1], spec_, spec_);
  } else {
    if (nml_ > 0) fftw_execute_r2r(dct_[nf - 1], spec_, spec_);
    fftw_mpi_execute_r2r(bwd_t_[nf - 1], spec_, ybuf_);
    for (int f = 0; f < nf && nyl_ > 0; ++f) {
      fftw_execute(zb_);
      fftw_execute_dft_c2r(c2r_, plane_, phys_[f]);
    }
  }
}

}  // namespace iff::spectral
