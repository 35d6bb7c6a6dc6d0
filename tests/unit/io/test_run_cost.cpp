#include <gtest/gtest.h>

#include <fstream>

#include "io/error.hpp"
#include "io/run_cost.hpp"
#include "tests/support/test_support.hpp"

TEST(RunCost, RoundTripKeepsValuesAndMissingPhases) {
  const auto dir = iff::test::temp_dir("cost");
  iff::RunCost c;
  c.command = "rollout";
  c.model = "fno";
  c.ranks = 2;
  c.threads_per_rank = 3;
  c.steps = 40;
  c.simulated_time = 2.5;
  c.wall_seconds = 10.0;
  c.step_seconds = 8.0;
  c.output_seconds = 1.5;
  iff::write_run_cost(dir + "/cost.csv", c);
  const auto r = iff::read_run_cost(dir + "/cost.csv");
  EXPECT_EQ(r.command, "rollout");
  EXPECT_EQ(r.model, "fno");
  EXPECT_EQ(r.ranks, 2);
  EXPECT_EQ(r.threads_per_rank, 3);
  EXPECT_EQ(r.steps, 40);
  EXPECT_DOUBLE_EQ(r.simulated_time, 2.5);
  EXPECT_DOUBLE_EQ(r.wall_per_unit_time(), 4.0);
  EXPECT_DOUBLE_EQ(r.steps_per_second(), 4.0);
  ASSERT_TRUE(r.step_seconds && r.output_seconds);
  EXPECT_DOUBLE_EQ(*r.output_seconds, 1.5);
  EXPECT_FALSE(r.analysis_seconds.has_value());
}

TEST(RunCost, MissingOrForeignFileNamesIt) {
  const auto dir = iff::test::temp_dir("cost");
  try {
    iff::read_run_cost(dir + "/none.csv");
    FAIL() << "no error";
  } catch (const iff::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("none.csv"), std::string::npos);
  }
  std::ofstream(dir + "/other.csv") << "a,b\n1,2\n";
  EXPECT_THROW(iff::read_run_cost(dir + "/other.csv"), iff::InputError);
}
