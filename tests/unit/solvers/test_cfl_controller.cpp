// The CFL controller: dt changes only outside the band, to the dt of the target CFL at the
// same velocities, never above dt_max; a start above the band is lowered, never raised.
#include <gtest/gtest.h>

#include "solvers/cfl_controller.hpp"

using iff::solvers::CflController;

TEST(CflController, KeepsDtInsideTheBand) {
  const CflController c(0.25, 0.2, 0.3, 0.001);
  EXPECT_FALSE(c.next_dt(0.0008, 0.2));
  EXPECT_FALSE(c.next_dt(0.0008, 0.25));
  EXPECT_FALSE(c.next_dt(0.0008, 0.3));
}

TEST(CflController, AboveTheBandAimsAtTheTarget) {
  const CflController c(0.25, 0.2, 0.3, 0.001);
  const auto nd = c.next_dt(0.0008, 0.4);
  ASSERT_TRUE(nd);
  EXPECT_DOUBLE_EQ(*nd, 0.0008 * 0.25 / 0.4);  // CFL is linear in dt at fixed velocities
}

TEST(CflController, BelowTheBandRisesToTheTargetButNotAboveDtMax) {
  const CflController c(0.25, 0.2, 0.3, 0.001);
  const auto nd = c.next_dt(0.0005, 0.15);
  ASSERT_TRUE(nd);
  EXPECT_DOUBLE_EQ(*nd, 0.0005 * 0.25 / 0.15);
  const auto capped = c.next_dt(0.0009, 0.05);  // the target would give 0.0045
  ASSERT_TRUE(capped);
  EXPECT_DOUBLE_EQ(*capped, 0.001);
  EXPECT_FALSE(c.next_dt(0.001, 0.05));  // at dt_max already: no change
}

TEST(CflController, AStartIsLoweredNeverRaised) {
  const CflController c(0.25, 0.2, 0.3, 0.001);
  EXPECT_DOUBLE_EQ(c.start_dt(0.001, 0.7), 0.001 * 0.25 / 0.7);
  EXPECT_DOUBLE_EQ(c.start_dt(0.001, 0.1), 0.001);
  EXPECT_DOUBLE_EQ(c.start_dt(0.001, 0.3), 0.001);
}
