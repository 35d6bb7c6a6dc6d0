#include "solvers/orr_sommerfeld.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>

#include "io/error.hpp"
#include "spectral/chebyshev.hpp"

extern "C" void zggev_(const char* jobvl, const char* jobvr, const int* n, std::complex<double>* a, const int* lda,
                       std::complex<double>* b, const int* ldb, std::complex<double>* alpha,
                       std::complex<double>* beta, std::complex<double>* vl, const int* ldvl,
                       std::complex<double>* vr, const int* ldvr, std::complex<double>* work, const int* lwork,
                       double* rwork, int* info);

namespace iff::solvers {

namespace {

using Mat = Eigen::MatrixXd;
using CMat = Eigen::MatrixXcd;

/// Chebyshev collocation derivative matrix on cos(pi j/(n-1)).
Mat cheb_matrix(const std::vector<double>& x) {
  const int n = int(x.size());
  Mat d = Mat::Zero(n, n);
  for (int i = 0; i < n; ++i) {
    const double ci = (i == 0 || i == n - 1) ? 2.0 : 1.0;
    for (int j = 0; j < n; ++j) {
      if (i == j) continue;
      const double cj = (j == 0 || j == n - 1) ? 2.0 : 1.0;
      d(i, j) = (ci / cj) * (((i + j) % 2) ? -1.0 : 1.0) / (x[i] - x[j]);
    }
    d(i, i) = -d.row(i).sum();  // rows of D annihilate constants
  }
  return d;
}

struct Problem {
  CMat a, b;
};

Problem build(int n, double alpha, double re) {
  IFF_REQUIRE(n >= 8, "Orr-Sommerfeld needs at least 8 points, got " << n);
  const auto x = spectral::chebyshev_points(n);
  const Mat d = cheb_matrix(x);
  const Mat d2 = d * d, d3 = d2 * d, d4 = d2 * d2;
  const int ni = n - 2;
  // clamped fourth derivative: v = (1 - y²) g with g(±1) = 0
  Mat s = Mat::Zero(n, n);
  for (int i = 1; i < n - 1; ++i) s(i, i) = 1.0 / (1.0 - x[i] * x[i]);
  Mat one_minus = Mat::Zero(n, n), xd = Mat::Zero(n, n);
  for (int i = 0; i < n; ++i) one_minus(i, i) = 1.0 - x[i] * x[i], xd(i, i) = x[i];
  const Mat d4c = ((one_minus * d4 - 8.0 * xd * d3 - 12.0 * d2) * s).block(1, 1, ni, ni);
  const Mat d2i = d2.block(1, 1, ni, ni);
  const Mat id = Mat::Identity(ni, ni);
  const std::complex<double> visc = 1.0 / (std::complex<double>(0.0, 1.0) * alpha * re);
  Problem p;
  Mat lap = d2i - alpha * alpha * id;
  Mat u = Mat::Zero(ni, ni);
  for (int i = 0; i < ni; ++i) u(i, i) = 1.0 - x[i + 1] * x[i + 1];
  const Mat upp = -2.0 * id;
  p.a = (u * lap - upp).cast<std::complex<double>>() -
        visc * (d4c - 2.0 * alpha * alpha * d2i + std::pow(alpha, 4) * id).cast<std::complex<double>>();
  p.b = lap.cast<std::complex<double>>();
  return p;
}

void solve(Problem& p, bool vectors, std::vector<std::complex<double>>& c, CMat& vr) {
  const int n = int(p.a.rows());
  std::vector<std::complex<double>> al(n), be(n);
  vr = CMat::Zero(n, n);
  CMat vl(1, 1);
  int lwork = -1, info = 0, one = 1;
  std::complex<double> wq;
  std::vector<double> rwork(8 * n);
  const char nv = 'N', jv = vectors ? 'V' : 'N';
  zggev_(&nv, &jv, &n, p.a.data(), &n, p.b.data(), &n, al.data(), be.data(), vl.data(), &one, vr.data(), &n, &wq,
         &lwork, rwork.data(), &info);
  lwork = std::max(1, int(wq.real()));
  std::vector<std::complex<double>> work(lwork);
  zggev_(&nv, &jv, &n, p.a.data(), &n, p.b.data(), &n, al.data(), be.data(), vl.data(), &one, vr.data(), &n,
         work.data(), &lwork, rwork.data(), &info);
  IFF_CHECK_AS(iff::NumericalError, info == 0, "zggev failed for the Orr-Sommerfeld problem, info=" << info);
  c.assign(n, std::complex<double>(NAN, NAN));
  for (int i = 0; i < n; ++i)
    if (std::abs(be[i]) > 1e-14 * std::abs(al[i])) c[i] = al[i] / be[i];
}

}  // namespace

std::vector<std::complex<double>> orr_sommerfeld_spectrum(int n, double alpha, double re) {
  auto p = build(n, alpha, re);
  std::vector<std::complex<double>> c;
  CMat vr;
  solve(p, false, c, vr);
  std::vector<std::complex<double>> w;
  for (auto ci : c)
    if (std::isfinite(ci.real()) && std::isfinite(ci.imag()) && std::abs(ci) < 1e3) w.push_back(alpha * ci);
  std::sort(w.begin(), w.end(), [](auto a, auto b) { return a.imag() > b.imag(); });
  return w;
}

OrrSommerfeldMode orr_sommerfeld_least_stable(int n, double alpha, double re) {
  auto p = build(n, alpha, re);
  std::vector<std::complex<double>> c;
  CMat vr;
  solve(p, true, c, vr);
  int best = -1;
  for (int i = 0; i < int(c.size()); ++i) {
    if (!std::isfinite(c[i].real()) || !std::isfinite(c[i].imag()) || std::abs(c[i]) > 1e3) continue;
    if (best < 0 || c[i].imag() > c[best].imag()) best = i;
  }
  IFF_CHECK_AS(iff::NumericalError, best >= 0, "no finite Orr-Sommerfeld eigenvalue");
  OrrSommerfeldMode m;
  m.omega = alpha * c[best];
  m.v.assign(n, 0.0);
  int imax = 0;
  for (int i = 0; i < n - 2; ++i) {
    m.v[i + 1] = vr(i, best);
    if (std::abs(m.v[i + 1]) > std::abs(m.v[imax])) imax = i + 1;
  }
  const std::complex<double> scale = 1.0 / m.v[imax];
  for (auto& z : m.v) z *= scale;
  return m;
}

}  // namespace iff::solvers
