#include "analysis/channel_statistics.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <sstream>

#include "io/comm.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/h5.hpp"
#include "analysis/wall_units.hpp"

namespace iff::analysis {

std::vector<int> nearest_y_plus_indices(const std::vector<double>& y, const std::vector<double>& y_plus, double re_tau) {
  std::vector<int> out;
  for (double yp : y_plus) {
    const double target = -1.0 + yp / re_tau;
    int best = 0;
    for (int j = 1; j < static_cast<int>(y.size()); ++j)
      if (std::abs(y[j] - target) < std::abs(y[best] - target)) best = j;
    if (std::find(out.begin(), out.end(), best) == out.end()) out.push_back(best);
  }
  return out;
}

ChannelStatistics::ChannelStatistics(int nx, int ny, int nz, double lx, double lz, std::vector<double> y,
                                     std::vector<int> spectra_j)
    : nx_(nx), ny_(ny), nz_(nz), nx_local_(nx), lx_(lx), lz_(lz), y_(std::move(y)), sj_(std::move(spectra_j)) {
  IFF_REQUIRE(nx >= 2 && nz >= 2 && ny >= 1, "statistics: bad grid " << nx << "x" << ny << "x" << nz);
  IFF_REQUIRE(int(y_.size()) == ny, "statistics: " << y_.size() << " y values for ny = " << ny);
  for (int j : sj_) IFF_REQUIRE(j >= 0 && j < ny, "statistics: spectra y index " << j << " outside 0.." << ny - 1);
  s1_.assign(std::size_t(ny) * 3, 0.0);
  s2_.assign(std::size_t(ny) * 3, 0.0);
  suv_.assign(ny, 0.0);
  ex_.assign(sj_.size() * 3 * (nx / 2 + 1), 0.0);
  ez_.assign(sj_.size() * 3 * (nz / 2 + 1), 0.0);
}

void ChannelStatistics::set_slab(int nx_local, MPI_Comm comm) {
  IFF_REQUIRE(n_ == 0, "statistics: set_slab after " << n_ << " snapshots");
  IFF_REQUIRE(nx_local >= 0 && nx_local <= nx_, "statistics: " << nx_local << " of " << nx_ << " x planes");
  nx_local_ = nx_local;
  comm_ = comm;
}

void ChannelStatistics::add(const double* f) {
  const std::size_t plane = std::size_t(nx_) * nz_;
  auto at = [&](int ix, int j, int iz, int c) { return f[((std::size_t(ix) * ny_ + j) * nz_ + iz) * 3 + c]; };
  for (int j = 0; j < ny_; ++j) {
    double a[3] = {0, 0, 0}, b[3] = {0, 0, 0}, uv = 0;
    for (int ix = 0; ix < nx_local_; ++ix)
      for (int iz = 0; iz < nz_; ++iz) {
        for (int c = 0; c < 3; ++c) {
          const double v = at(ix, j, iz, c);
          a[c] += v, b[c] += v * v;
        }
        uv += at(ix, j, iz, 0) * at(ix, j, iz, 1);
      }
    for (int c = 0; c < 3; ++c) s1_[3 * j + c] += a[c] / plane, s2_[3 * j + c] += b[c] / plane;
    suv_[j] += uv / plane;
  }
  const std::size_t row = std::size_t(nz_) * 3;  // one x line of a plane y_j
  std::vector<double> mine(nx_local_ * row);
  for (std::size_t s = 0; s < sj_.size(); ++s) {
    for (int ix = 0; ix < nx_local_; ++ix)
      std::copy_n(f + (std::size_t(ix) * ny_ + sj_[s]) * row, row, mine.begin() + ix * row);
    if (comm_ == MPI_COMM_SELF) {
      add_spectra(s, mine.data());
    } else if (const auto whole = gather_on_root(mine, comm_); comm_rank(comm_) == 0) {
      add_spectra(s, whole.data());  // the plane y_j, whole, on rank 0
    }
  }
  ++n_;
}

void ChannelStatistics::add_spectra(std::size_t s, const double* f) {
  const std::size_t plane = std::size_t(nx_) * nz_;
  const int nzh = nz_ / 2 + 1, nxh = nx_ / 2 + 1;
  std::vector<double> in(plane);
  std::vector<std::complex<double>> out(std::size_t(nx_) * nzh);
  fftw_plan p = fftw_plan_dft_r2c_2d(nx_, nz_, in.data(), reinterpret_cast<fftw_complex*>(out.data()), FFTW_ESTIMATE);
  const double norm = 1.0 / (double(plane) * plane);
  for (int c = 0; c < 3; ++c) {
    double mean = 0.0;
    for (std::size_t q = 0; q < plane; ++q) mean += f[q * 3 + c];
    mean /= plane;
    for (std::size_t q = 0; q < plane; ++q) in[q] = f[q * 3 + c] - mean;
    fftw_execute(p);
    double* ex = &ex_[(s * 3 + c) * nxh];
    double* ez = &ez_[(s * 3 + c) * nzh];
    for (int ix = 0; ix < nx_; ++ix)
      for (int jz = 0; jz < nzh; ++jz) {
        // stored (i, j) stands for itself and its conjugate (-i, -j) unless j is 0 or nz/2
        const double w = (jz == 0 || 2 * jz == nz_) ? 1.0 : 2.0;
        const double e = w * std::norm(out[std::size_t(ix) * nzh + jz]) * norm;
        ex[std::min(ix, nx_ - ix)] += e;
        ez[jz] += e;
      }
  }
  fftw_destroy_plan(p);
}

void ChannelStatistics::reduce() {
  if (comm_ == MPI_COMM_SELF) return;
  const int ranks = comm_size(comm_), rank = comm_rank(comm_);
  // every rank's profile sums, added on rank 0 in rank order
  for (auto* sums : {&s1_, &s2_, &suv_}) {
    std::vector<double> all(rank == 0 ? sums->size() * ranks : 0);
    MPI_Gather(sums->data(), static_cast<int>(sums->size()), MPI_DOUBLE, all.data(), static_cast<int>(sums->size()),
               MPI_DOUBLE, 0, comm_);
    if (rank != 0) {
      std::fill(sums->begin(), sums->end(), 0.0);
      continue;
    }
    for (std::size_t q = 0; q < sums->size(); ++q) {
      double t = all[q];
      for (int r = 1; r < ranks; ++r) t += all[r * sums->size() + q];
      (*sums)[q] = t;
    }
  }
}

void ChannelStatistics::add_sgs(const double* nu_t, const double* dissipation, const double* coefficient) {
  snut_.resize(ny_, 0.0), seps_.resize(ny_, 0.0), sc_.resize(ny_, 0.0);
  for (int j = 0; j < ny_; ++j) snut_[j] += nu_t[j], seps_[j] += dissipation[j], sc_[j] += coefficient[j];
  ++n_sgs_;
}

namespace {
std::vector<double> averaged(const std::vector<double>& sum, long n, int ny) {
  std::vector<double> a(ny, 0.0);
  for (int j = 0; j < ny && n > 0; ++j) a[j] = sum[j] / n;
  return a;
}
}  // namespace

std::vector<double> ChannelStatistics::mean_eddy_viscosity() const { return averaged(snut_, n_sgs_, ny_); }
std::vector<double> ChannelStatistics::sgs_dissipation() const { return averaged(seps_, n_sgs_, ny_); }
std::vector<double> ChannelStatistics::sgs_coefficient() const { return averaged(sc_, n_sgs_, ny_); }

std::vector<double> ChannelStatistics::mean(int c) const {
  std::vector<double> m(ny_, 0.0);
  for (int j = 0; j < ny_ && n_ > 0; ++j) m[j] = s1_[3 * j + c] / n_;
  return m;
}

std::vector<double> ChannelStatistics::rms(int c) const {
  std::vector<double> r(ny_, 0.0);
  for (int j = 0; j < ny_ && n_ > 0; ++j) {
    const double m = s1_[3 * j + c] / n_;
    r[j] = std::sqrt(std::max(0.0, s2_[3 * j + c] / n_ - m * m));
  }
  return r;
}

std::vector<double> ChannelStatistics::reynolds_shear() const {
  std::vector<double> r(ny_, 0.0);
  for (int j = 0; j < ny_ && n_ > 0; ++j) r[j] = -(suv_[j] / n_ - (s1_[3 * j] / n_) * (s1_[3 * j + 1] / n_));
  return r;
}

std::vector<double> ChannelStatistics::spectrum_x(int c, int s) const {
  const int nxh = nx_ / 2 + 1;
  std::vector<double> e(ex_.begin() + (std::size_t(s) * 3 + c) * nxh, ex_.begin() + (std::size_t(s) * 3 + c + 1) * nxh);
  for (auto& v : e) v /= std::max<long>(n_, 1);
  return e;
}

std::vector<double> ChannelStatistics::spectrum_z(int c, int s) const {
  const int nzh = nz_ / 2 + 1;
  std::vector<double> e(ez_.begin() + (std::size_t(s) * 3 + c) * nzh, ez_.begin() + (std::size_t(s) * 3 + c + 1) * nzh);
  for (auto& v : e) v /= std::max<long>(n_, 1);
  return e;
}

void ChannelStatistics::write_csv(const std::string& dir, double re_tau, double u_tau) const {
  std::ostringstream p;
  p.precision(12);
  p << "y" << (re_tau > 0 ? ",y_plus_lower_wall" : "") << ",U,W,u_rms,v_rms,w_rms,minus_uv";
  if (re_tau > 0) p << ",U_plus,u_rms_plus,v_rms_plus,w_rms_plus,minus_uv_plus";
  const bool sgs = n_sgs_ > 0;
  if (sgs) p << ",nu_t,eps_sgs,c_sgs" << (re_tau > 0 ? ",nu_t_over_nu,eps_sgs_plus" : "");
  p << "\n";
  const auto U = mean(0), W = mean(2), ur = rms(0), vr = rms(1), wr = rms(2), uv = reynolds_shear();
  const auto nut = mean_eddy_viscosity(), eps = sgs_dissipation(), cs = sgs_coefficient();
  for (int j = 0; j < ny_; ++j) {
    p << y_[j];
    if (re_tau > 0) p << "," << (1.0 - std::abs(y_[j])) * re_tau;
    p << "," << U[j] << "," << W[j] << "," << ur[j] << "," << vr[j] << "," << wr[j] << "," << uv[j];
    if (re_tau > 0)
      p << "," << U[j] / u_tau << "," << ur[j] / u_tau << "," << vr[j] / u_tau << "," << wr[j] / u_tau << ","
        << uv[j] / (u_tau * u_tau);
    if (sgs) {
      p << "," << nut[j] << "," << eps[j] << "," << cs[j];
      if (re_tau > 0) p << "," << nut[j] * re_tau / u_tau << "," << eps[j] / (re_tau * u_tau * u_tau * u_tau);
    }
    p << "\n";
  }
  write_text_atomic(dir + "/profiles.csv", p.str());
  for (int axis = 0; axis < 2; ++axis) {
    std::ostringstream s;
    s.precision(12);
    const int nk = (axis == 0 ? nx_ : nz_) / 2 + 1;
    const double dk = 2.0 * M_PI / (axis == 0 ? lx_ : lz_);
    s << (axis == 0 ? "kx" : "kz");
    for (int j : sj_)
      for (const char* n : {"uu", "vv", "ww"}) s << ",E_" << n << "_y" << y_[j];
    s << "\n";
    for (int k = 0; k < nk; ++k) {
      s << k * dk;
      for (std::size_t q = 0; q < sj_.size(); ++q)
        for (int c = 0; c < 3; ++c) s << "," << (axis == 0 ? spectrum_x(c, int(q)) : spectrum_z(c, int(q)))[k];
      s << "\n";
    }
    write_text_atomic(dir + (axis == 0 ? "/spectra_kx.csv" : "/spectra_kz.csv"), s.str());
  }
}

void ChannelStatistics::write_h5(const std::string& path, const WallUnits* wall) const {
  AtomicPath out(path);
  {
    auto f = h5::File::create(out, MPI_COMM_SELF);
    f.write_vector("/y", y_);
    f.write_vector("/mean_u", mean(0));
    f.write_vector("/mean_w", mean(2));
    f.write_vector("/rms_u", rms(0));
    f.write_vector("/rms_v", rms(1));
    f.write_vector("/rms_w", rms(2));
    f.write_vector("/minus_uv", reynolds_shear());
    if (!sj_.empty()) {
      std::vector<double> yj;
      for (int j : sj_) yj.push_back(y_[j]);
      f.write_vector("/spectra_y", yj);
      std::vector<double> ex(ex_), ez(ez_);
      for (auto& v : ex) v /= std::max<long>(n_, 1);
      for (auto& v : ez) v /= std::max<long>(n_, 1);
      f.write_vector("/spectra_kx", ex, {hsize_t(sj_.size()), 3, hsize_t(nx_ / 2 + 1)});
      f.write_vector("/spectra_kz", ez, {hsize_t(sj_.size()), 3, hsize_t(nz_ / 2 + 1)});
    }
    if (n_sgs_ > 0) {
      f.write_vector("/nu_t", mean_eddy_viscosity());
      f.write_vector("/eps_sgs", sgs_dissipation());
      f.write_vector("/c_sgs", sgs_coefficient());
      f.set_attr("/", "sgs_samples", std::int64_t(n_sgs_));
    }
    f.set_attr("/", "samples", std::int64_t(n_));
    f.set_attr("/", "lx", lx_);
    f.set_attr("/", "lz", lz_);
    if (wall) {
      f.set_attr("/", "u_tau", wall->u_tau);
      f.set_attr("/", "re_tau", wall->re_tau);
      f.set_attr("/", "wall_units_source", wall->description);
    }
    f.close();
  }
  out.commit();
}

}  // namespace iff::analysis
