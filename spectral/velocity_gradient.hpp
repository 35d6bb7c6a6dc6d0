// Velocity-gradient fields of a snapshot on the channel grid: vorticity and the
// Q-criterion, for VTK output of any series (DNS, LES, predictions).
//
// Grid: uniform periodic x (length lx) and z (length lz) without the end point, y on
// Chebyshev–Gauss–Lobatto points in ascending order (the data contract). Derivatives are
// spectral: Fourier in x and z (the Nyquist mode's derivative set to zero), Chebyshev in y
// (Canuto et al. 1988, §2.4).
//
//   omega = curl u,   Q = (|Omega|^2 - |S|^2) / 2  with S, Omega the symmetric and
//   antisymmetric parts of grad u (Hunt, Wray & Moin 1988); Q > 0 marks vortex cores.
#pragma once

#include <vector>

namespace iff::spectral {

class VelocityGradient {
 public:
  VelocityGradient(int nx, int ny, int nz, double lx, double lz);
  ~VelocityGradient();
  VelocityGradient(const VelocityGradient&) = delete;
  VelocityGradient& operator=(const VelocityGradient&) = delete;

  /// grad[p*9 + 3*i + j] = d u_i / d x_j at point p of u [nx][ny][nz][3].
  void gradient(const double* u, std::vector<double>& grad) const;
  /// Vorticity [nx][ny][nz][3] and Q [nx][ny][nz] of u.
  void vorticity_and_q(const double* u, std::vector<double>& vorticity, std::vector<double>& q) const;

 private:
  void derivative_periodic(const double* u, double* du, int axis) const;  // axis 0: x, 2: z
  void derivative_y(const double* u, double* du) const;
  int nx_, ny_, nz_;
  double lx_, lz_;
  struct Plans;
  Plans* plans_;
};

}  // namespace iff::spectral
