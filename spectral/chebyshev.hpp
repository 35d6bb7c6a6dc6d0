// Chebyshev machinery on the Gauss–Lobatto points of [-1, 1] (the wall-normal direction y).
//
// A function is represented by its N = M + 1 values at y_j = cos(pi j / M), j = 0..M
// (y_0 = +1 is the upper wall), or by the coefficients a_k of u(y) = sum_{k=0}^{M} a_k T_k(y).
// All operations on coefficients are O(N); they act on real or complex arrays.
//
// Reference: Canuto, Hussaini, Quarteroni & Zang, "Spectral Methods in Fluid Dynamics"
// (1988), §2.4 (transforms, derivative recurrence) and §5.1.2 (tau method for the
// Helmholtz equation, quasi-tridiagonal form).
#pragma once

#include <fftw3.h>

#include <complex>
#include <vector>

namespace iff::spectral {

using cplx = std::complex<double>;

/// Gauss–Lobatto points y_j = cos(pi j/M), j = 0..n-1 (descending, y_0 = +1).
std::vector<double> chebyshev_points(int n);

/// Clenshaw–Curtis weights: sum_j w_j f(y_j) = integral_{-1}^{1} f dy, exact for polynomials
/// of degree <= n-1.
std::vector<double> clenshaw_curtis_weights(int n);

/// d/dy in coefficient space: b = coefficients of du/dy (length n, b_{n-1} = 0).
/// Recurrence c_{k-1} b_{k-1} = b_{k+1} + 2 k a_k (c_0 = 2, c_k = 1 otherwise).
template <class T>
void chebyshev_derivative(const T* a, T* b, int n);

/// integral_{-1}^{1} u dy = sum_{k even} 2 a_k / (1 - k^2).
template <class T>
T chebyshev_integral(const T* a, int n);

/// u(+1) = sum a_k,  u(-1) = sum (-1)^k a_k.
template <class T>
T chebyshev_value_top(const T* a, int n);
template <class T>
T chebyshev_value_bottom(const T* a, int n);
/// du/dy(+1) = sum k^2 a_k,  du/dy(-1) = sum (-1)^(k+1) k^2 a_k.
template <class T>
T chebyshev_slope_top(const T* a, int n);
template <class T>
T chebyshev_slope_bottom(const T* a, int n);

/// Value of the series at an arbitrary y in [-1, 1] (Clenshaw recurrence).
template <class T>
T chebyshev_eval(const T* a, int n, double y);

/// Values <-> coefficients on n Gauss–Lobatto points through the DCT-I (FFTW REDFT00),
/// for real arrays of length n (`howmany` interleaved arrays with stride `stride`).
class ChebyshevTransform {
 public:
  explicit ChebyshevTransform(int n);
  ~ChebyshevTransform();
  ChebyshevTransform(const ChebyshevTransform&) = delete;
  ChebyshevTransform& operator=(const ChebyshevTransform&) = delete;
  int size() const { return n_; }
  /// In place: values at y_j -> coefficients a_k.
  void to_coefficients(double* data) const;
  /// In place: coefficients a_k -> values at y_j.
  void to_values(double* data) const;
  void to_coefficients(cplx* data) const;
  void to_values(cplx* data) const;

 private:
  int n_;
  mutable std::vector<double> work_;
  fftw_plan plan_ = nullptr;
};

/// Solves u'' - lambda u = f on [-1, 1], u(+1) = g_top, u(-1) = g_bottom, lambda >= 0, by the
/// Chebyshev tau method: the equations for T_0..T_{M-2} plus the two boundary conditions.
/// Even and odd coefficients decouple; each parity is a tridiagonal system bordered by one
/// full boundary row (Canuto et al. 1988, eq. 5.1.22), solved in O(N) with the
/// lambda-dependent elimination factors precomputed in the constructor.
class ChebyshevHelmholtz {
 public:
  ChebyshevHelmholtz() = default;
  ChebyshevHelmholtz(int n, double lambda);
  int size() const { return n_; }
  double lambda() const { return lambda_; }
  /// `f` and `u` are coefficient arrays of length n (they may alias); only f_0..f_{n-3} are
  /// used (tau method).
  void solve(const cplx* f, cplx* u, cplx g_top = 0.0, cplx g_bottom = 0.0) const;
  void solve(const double* f, double* u, double g_top = 0.0, double g_bottom = 0.0) const;
  /// Max-norm residual of the tau equations and boundary conditions for a solution u of
  /// right-hand side f (for tests).
  double residual(const double* f, const double* u, double g_top, double g_bottom) const;

 private:
  template <class T>
  void solve_impl(const T* f, T* u, T g_top, T g_bottom) const;
  struct Parity {
    int m = 0;                     // unknowns of this parity
    std::vector<double> q, inv_den, upper;  // elimination factors per row
    std::vector<double> t;         // a_j = s_j + t_j a_0
    double inv_sum_t = 1.0;
  };
  double row_lower(int k) const;
  double row_diag(int k) const;
  double row_upper(int k) const;
  int n_ = 0;
  double lambda_ = 0.0;
  Parity par_[2];
};

}  // namespace iff::spectral
