// The relative L2 error, the one definition that training (the loss), rollout (rollout.csv)
// and compare (summary, error_vs_time.csv) use:
//
//   e(a, b) = ||a − b|| / ||b|| = sqrt( Σ_i (a_i − b_i)² / Σ_i b_i² ),
//
// discrete sums over the points (and components) compared, without quadrature weights — the
// loss of the reference IFactFormer implementation (the L_p loss of Li et al. 2021, FNO,
// with p = 2). A zero reference (Σ b² = 0) gives e = 0 when a = b and e = +inf otherwise.
//
// The formula is written once, for plain numbers and, through another `Ops`, for libtorch
// tensors (operators/training.cpp), so that the loss and the reported errors cannot drift.
#pragma once

#include <cmath>

namespace iff::analysis {

/// Arithmetic of relative_l2_from_sums on doubles.
struct ScalarOps {
  static double sqrt(double x) { return std::sqrt(x); }
  /// `e` where err_sq ≠ 0, and 0 where err_sq = 0 (then a = b, whatever b is).
  static double zero_where_exact(double err_sq, double e) { return err_sq == 0 ? 0.0 : e; }
};

/// e from the sums of squares err_sq = Σ (a − b)² and ref_sq = Σ b² (element-wise for
/// tensors). ref_sq = 0 < err_sq gives +inf (IEEE division), err_sq = 0 gives 0.
template <class T, class Ops = ScalarOps>
T relative_l2_from_sums(const T& err_sq, const T& ref_sq) {
  return Ops::zero_where_exact(err_sq, Ops::sqrt(err_sq / ref_sq));
}

/// e(a, b) over n values.
inline double relative_l2(const double* a, const double* b, std::size_t n) {
  double err_sq = 0, ref_sq = 0;
  for (std::size_t i = 0; i < n; ++i) {
    err_sq += (a[i] - b[i]) * (a[i] - b[i]);
    ref_sq += b[i] * b[i];
  }
  return relative_l2_from_sums(err_sq, ref_sq);
}

}  // namespace iff::analysis
