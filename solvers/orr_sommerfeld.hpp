// Orr–Sommerfeld eigenmodes of plane Poiseuille flow U = 1 - y² (centre-line units,
// Re = U_c h / ν), for perturbations v(y) exp(i(αx - ωt)):
//
//   (U - c)(D² - α²) v - U'' v = (1/(iαRe)) (D² - α²)² v,   v = Dv = 0 at y = ±1,   ω = α c.
//
// Solved in code by Chebyshev collocation on n Gauss–Lobatto points, the clamped fourth
// derivative built on v = (1 - y²) g (Trefethen, "Spectral Methods in MATLAB" 2000, ch. 14,
// p. 147), and the generalised eigenproblem A v = c B v with LAPACK zggev.
#pragma once

#include <complex>
#include <vector>

namespace iff::solvers {

struct OrrSommerfeldMode {
  std::complex<double> omega;             ///< temporal eigenvalue ω (Im ω > 0 grows)
  std::vector<std::complex<double>> v;    ///< v(y_j) at the n Gauss–Lobatto points, max |v| = 1
};

/// All finite eigenvalues ω, sorted by decreasing Im ω.
std::vector<std::complex<double>> orr_sommerfeld_spectrum(int n, double alpha, double re);

/// The least-stable mode (largest Im ω) with its eigenfunction.
OrrSommerfeldMode orr_sommerfeld_least_stable(int n, double alpha, double re);

}  // namespace iff::solvers
