// The one relative L2 error: its value against explicit sums, the zero-reference convention,
// and the per-component and fluctuation errors of a channel-like field whose mean flow hides
// a large error of its fluctuations.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "analysis/field_errors.hpp"
#include "analysis/relative_l2.hpp"

namespace an = iff::analysis;

TEST(RelativeL2, IsTheRatioOfNormsAndHasOneZeroReferenceConvention) {
  const std::vector<double> a = {1.0, 2.0, -2.0}, b = {1.0, 0.0, -1.0};
  // ||a - b|| = sqrt(0 + 4 + 1), ||b|| = sqrt(2)
  EXPECT_DOUBLE_EQ(an::relative_l2(a.data(), b.data(), 3), std::sqrt(5.0 / 2.0));
  const std::vector<double> zero = {0.0, 0.0, 0.0};
  EXPECT_EQ(an::relative_l2(zero.data(), zero.data(), 3), 0.0);                                 // a = b = 0
  EXPECT_EQ(an::relative_l2(a.data(), zero.data(), 3), std::numeric_limits<double>::infinity());  // b = 0 != a
  EXPECT_EQ(an::relative_l2(b.data(), b.data(), 3), 0.0);
  EXPECT_EQ(an::relative_l2_from_sums(0.0, 0.0), 0.0);
  EXPECT_EQ(an::relative_l2_from_sums(1.0, 0.0), std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(an::relative_l2_from_sums(1.0, 4.0), 0.5);
}

namespace {

struct Grid {
  int nx = 6, ny = 5, nz = 4;
  std::size_t at(int i, int j, int k, int c) const { return ((std::size_t(i) * ny + j) * nz + k) * 3 + c; }
  std::size_t size() const { return std::size_t(nx) * ny * nz * 3; }
};

}  // namespace

TEST(FieldErrors, PerComponentAndAgainstTheFluctuations) {
  const Grid g;
  std::vector<double> ref(g.size()), pred(g.size());
  // reference: mean flow U(y) = 10 (1 - y^2) in u, fluctuations of amplitude 0.1 in u, v, w
  // with zero plane mean; prediction: the same mean, fluctuations 1.5 times too large in v
  double fluct_sq = 0, err_sq = 0, ref_sq[3] = {0, 0, 0}, err_c[3] = {0, 0, 0};
  for (int i = 0; i < g.nx; ++i)
    for (int j = 0; j < g.ny; ++j)
      for (int k = 0; k < g.nz; ++k) {
        const double y = -std::cos(M_PI * j / (g.ny - 1));
        const double f = 0.1 * std::sin(2 * M_PI * i / g.nx) * std::cos(2 * M_PI * k / g.nz);
        for (int c = 0; c < 3; ++c) {
          const double r = (c == 0 ? 10 * (1 - y * y) : 0.0) + f * (c + 1);
          const double p = r + (c == 1 ? 0.5 * f * (c + 1) : 0.0);
          ref[g.at(i, j, k, c)] = r;
          pred[g.at(i, j, k, c)] = p;
          fluct_sq += (f * (c + 1)) * (f * (c + 1));
          err_sq += (p - r) * (p - r);
          err_c[c] += (p - r) * (p - r);
          ref_sq[c] += r * r;
        }
      }
  const auto e = an::field_errors(pred.data(), ref.data(), g.nx, g.ny, g.nz);
  EXPECT_NEAR(e.total, std::sqrt(err_sq / (ref_sq[0] + ref_sq[1] + ref_sq[2])), 1e-14);
  EXPECT_EQ(e.uvw[0], 0.0);
  EXPECT_NEAR(e.uvw[1], 0.5, 1e-14);  // v: 50 % off
  EXPECT_EQ(e.uvw[2], 0.0);
  EXPECT_NEAR(e.fluct, std::sqrt(err_sq / fluct_sq), 1e-14);
  // the mean flow hides the error from the total
  EXPECT_LT(e.total, 0.02);
  EXPECT_GT(e.fluct, 0.2);
  const auto v = e.values();
  EXPECT_EQ(v[0], e.total);
  EXPECT_EQ(v[2], e.uvw[1]);
  EXPECT_EQ(v[4], e.fluct);
  EXPECT_STREQ(an::FieldErrors::kNames[4], "fluct");
  // a prediction equal to the reference
  const auto same = an::field_errors(ref.data(), ref.data(), g.nx, g.ny, g.nz);
  for (double x : same.values()) EXPECT_EQ(x, 0.0);
}
