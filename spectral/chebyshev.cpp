#include "spectral/chebyshev.hpp"

#include <cmath>

#include "io/error.hpp"

namespace iff::spectral {

std::vector<double> chebyshev_points(int n) {
  IFF_REQUIRE(n >= 3, "Chebyshev grid needs at least 3 points, got " << n);
  std::vector<double> y(n);
  const int m = n - 1;
  for (int j = 0; j < n; ++j) y[j] = std::sin(M_PI * (m - 2.0 * j) / (2.0 * m));  // = cos(pi j/m), symmetric
  return y;
}

std::vector<double> clenshaw_curtis_weights(int n) {
  const int m = n - 1;
  std::vector<double> w(n, 0.0);
  for (int j = 0; j < n; ++j) {
    const double cj = (j == 0 || j == m) ? 2.0 : 1.0;
    double s = 0.0;
    for (int k = 0; k <= m; k += 2) {
      const double ck = (k == 0 || k == m) ? 2.0 : 1.0;
      s += 2.0 / (1.0 - double(k) * k) * 2.0 * std::cos(M_PI * double(j) * k / m) / (m * ck * cj);
    }
    w[j] = s;
  }
  return w;
}

template <class T>
void chebyshev_derivative(const T* a, T* b, int n) {
  // b may alias a: a_{k-1} is read before b_{k-1} is written
  T prev1 = T(0), prev2 = T(0);  // b_k, b_{k+1} at the start of iteration k
  T ak = a[n - 1];
  b[n - 1] = T(0);
  for (int k = n - 1; k >= 1; --k) {
    const T akm1 = a[k - 1];
    const T bkm1 = (k == 1 ? 0.5 : 1.0) * (prev2 + (2.0 * k) * ak);
    b[k - 1] = bkm1;
    prev2 = prev1;
    prev1 = bkm1;
    ak = akm1;
  }
}

template <class T>
T chebyshev_integral(const T* a, int n) {
  T s = T(0);
  for (int k = 0; k < n; k += 2) s += a[k] * T(2.0 / (1.0 - double(k) * k));
  return s;
}

template <class T>
T chebyshev_value_top(const T* a, int n) {
  T s = T(0);
  for (int k = 0; k < n; ++k) s += a[k];
  return s;
}
template <class T>
T chebyshev_value_bottom(const T* a, int n) {
  T s = T(0);
  for (int k = 0; k < n; ++k) s += (k % 2 ? -a[k] : a[k]);
  return s;
}
template <class T>
T chebyshev_slope_top(const T* a, int n) {
  T s = T(0);
  for (int k = 1; k < n; ++k) s += T(double(k) * k) * a[k];
  return s;
}
template <class T>
T chebyshev_slope_bottom(const T* a, int n) {
  T s = T(0);
  for (int k = 1; k < n; ++k) s += T(k % 2 ? double(k) * k : -double(k) * k) * a[k];
  return s;
}

template <class T>
T chebyshev_eval(const T* a, int n, double y) {
  T b1 = T(0), b2 = T(0);
  for (int k = n - 1; k >= 1; --k) {
    const T b0 = a[k] + T(2.0 * y) * b1 - b2;
    b2 = b1;
    b1 = b0;
  }
  return a[0] + T(y) * b1 - b2;
}

#define IFF_CHEB_INSTANTIATE(T)                                   \
  template void chebyshev_derivative<T>(const T*, T*, int);      \
  template T chebyshev_integral<T>(const T*, int);               \
  template T chebyshev_value_top<T>(const T*, int);              \
  template T chebyshev_value_bottom<T>(const T*, int);           \
  template T chebyshev_slope_top<T>(const T*, int);              \
  template T chebyshev_slope_bottom<T>(const T*, int);           \
  template T chebyshev_eval<T>(const T*, int, double);
IFF_CHEB_INSTANTIATE(double)
IFF_CHEB_INSTANTIATE(cplx)
#undef IFF_CHEB_INSTANTIATE

// ---------------------------------------------------------------------------------------

ChebyshevTransform::ChebyshevTransform(int n) : n_(n), work_(n) {
  IFF_REQUIRE(n >= 3, "Chebyshev transform needs at least 3 points, got " << n);
  plan_ = fftw_plan_r2r_1d(n, work_.data(), work_.data(), FFTW_REDFT00, FFTW_ESTIMATE);
  IFF_CHECK(plan_ != nullptr, "FFTW could not plan a DCT-I of size " << n);
}

ChebyshevTransform::~ChebyshevTransform() {
  if (plan_) fftw_destroy_plan(plan_);
}

void ChebyshevTransform::to_coefficients(double* data) const {
  const int m = n_ - 1;
  std::copy(data, data + n_, work_.begin());
  fftw_execute(plan_);
  for (int k = 0; k < n_; ++k) data[k] = work_[k] / (m * ((k == 0 || k == m) ? 2.0 : 1.0));
}

void ChebyshevTransform::to_values(double* data) const {
  const int m = n_ - 1;
  for (int k = 0; k < n_; ++k) work_[k] = (k == 0 || k == m) ? data[k] : 0.5 * data[k];
  fftw_execute(plan_);
  std::copy(work_.begin(), work_.end(), data);
}

namespace {
template <class F>
void on_parts(cplx* data, int n, F&& f) {
  std::vector<double> re(n), im(n);
  for (int k = 0; k < n; ++k) {
    re[k] = data[k].real();
    im[k] = data[k].imag();
  }
  f(re.data());
  f(im.data());
  for (int k = 0; k < n; ++k) data[k] = cplx(re[k], im[k]);
}
}  // namespace

void ChebyshevTransform::to_coefficients(cplx* data) const {
  on_parts(data, n_, [this](double* p) { to_coefficients(p); });
}
void ChebyshevTransform::to_values(cplx* data) const {
  on_parts(data, n_, [this](double* p) { to_values(p); });
}

// ---------------------------------------------------------------------------------------
// Tau rows for degree k (2 <= k <= M), from a_k = c_{k-2} b_{k-2}/(4k(k-1))
// - e_{k+2} b_k/(2(k^2-1)) + e_{k+4} b_{k+2}/(4k(k+1)) with b = coefficients of u'' and
// b_k = f_k + lambda a_k for k <= M-2 (e_j = 1 when the b index j-2 <= M-2, else 0).

double ChebyshevHelmholtz::row_lower(int k) const {
  return -(k == 2 ? 2.0 : 1.0) * lambda_ / (4.0 * k * (k - 1));
}
double ChebyshevHelmholtz::row_diag(int k) const {
  const int m = n_ - 1;
  return 1.0 + (k <= m - 2 ? lambda_ / (2.0 * (double(k) * k - 1.0)) : 0.0);
}
double ChebyshevHelmholtz::row_upper(int k) const {
  const int m = n_ - 1;
  return (k + 2 <= m - 2) ? -lambda_ / (4.0 * k * (k + 1)) : 0.0;
}

ChebyshevHelmholtz::ChebyshevHelmholtz(int n, double lambda) : n_(n), lambda_(lambda) {
  IFF_REQUIRE(n >= 3, "Helmholtz solver needs at least 3 points, got " << n);
  IFF_CHECK(lambda >= 0.0 && std::isfinite(lambda), "Helmholtz lambda must be finite and >= 0, got " << lambda);
  const int m = n - 1;
  for (int p = 0; p < 2; ++p) {
    Parity& P = par_[p];
    P.m = (m - p) / 2 + 1;
    P.q.assign(P.m, 0.0);
    P.inv_den.assign(P.m, 0.0);
    P.upper.assign(P.m, 0.0);
    P.t.assign(P.m, 0.0);
    for (int i = P.m - 1; i >= 1; --i) {
      const int k = 2 * i + p;
      const double up = (i + 1 < P.m) ? row_upper(k) : 0.0;
      const double qn = (i + 1 < P.m) ? P.q[i + 1] : 0.0;
      const double den = row_diag(k) + up * qn;
      P.inv_den[i] = 1.0 / den;
      P.q[i] = -row_lower(k) / den;
      P.upper[i] = up;
    }
    P.t[0] = 1.0;
    double sum = 1.0;
    for (int j = 1; j < P.m; ++j) {
      P.t[j] = P.q[j] * P.t[j - 1];
      sum += P.t[j];
    }
    P.inv_sum_t = 1.0 / sum;
  }
}

template <class T>
void ChebyshevHelmholtz::solve_impl(const T* f, T* u, T g_top, T g_bottom) const {
  const int m = n_ - 1;
  auto fk = [&](int k) { return (k <= m - 2) ? f[k] : T(0); };
  thread_local std::vector<T> rhs, pv, s;
  rhs.resize(n_);
  // tau right-hand sides for every degree k >= 2 (computed before u may overwrite f)
  for (int k = 2; k <= m; ++k) {
    T r = ((k == 2 ? 2.0 : 1.0) / (4.0 * k * (k - 1))) * fk(k - 2);
    if (k <= m - 2) r -= (1.0 / (2.0 * (double(k) * k - 1.0))) * fk(k);
    if (k + 2 <= m - 2) r += (1.0 / (4.0 * k * (k + 1))) * fk(k + 2);
    rhs[k] = r;
  }
  const T g[2] = {(g_top + g_bottom) * T(0.5), (g_top - g_bottom) * T(0.5)};
  for (int p = 0; p < 2; ++p) {
    const Parity& P = par_[p];
    pv.assign(P.m + 1, T(0));
    for (int i = P.m - 1; i >= 1; --i) pv[i] = P.inv_den[i] * (rhs[2 * i + p] - P.upper[i] * pv[i + 1]);
    s.assign(P.m, T(0));
    T sum_s = T(0);
    for (int j = 1; j < P.m; ++j) {
      s[j] = pv[j] + P.q[j] * s[j - 1];
      sum_s += s[j];
    }
    const T a0 = P.inv_sum_t * (g[p] - sum_s);
    for (int j = 0; j < P.m; ++j) u[2 * j + p] = s[j] + P.t[j] * a0;
  }
}

void ChebyshevHelmholtz::solve(const cplx* f, cplx* u, cplx g_top, cplx g_bottom) const {
  solve_impl<cplx>(f, u, g_top, g_bottom);
}
void ChebyshevHelmholtz::solve(const double* f, double* u, double g_top, double g_bottom) const {
  solve_impl<double>(f, u, g_top, g_bottom);
}

double ChebyshevHelmholtz::residual(const double* f, const double* u, double g_top, double g_bottom) const {
  std::vector<double> d1(n_), d2(n_);
  chebyshev_derivative(u, d1.data(), n_);
  chebyshev_derivative(d1.data(), d2.data(), n_);
  double r = 0.0;
  for (int k = 0; k <= n_ - 3; ++k) r = std::max(r, std::abs(d2[k] - lambda_ * u[k] - f[k]));
  r = std::max(r, std::abs(chebyshev_value_top(u, n_) - g_top));
  r = std::max(r, std::abs(chebyshev_value_bottom(u, n_) - g_bottom));
  return r;
}

}  // namespace iff::spectral
