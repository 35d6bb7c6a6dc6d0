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
  // unset: one trajectory, written as the simulated time
  ASSERT_TRUE(r.trajectory_time.has_value());
  EXPECT_DOUBLE_EQ(*r.trajectory_time, 2.5);
}

TEST(RunCost, TrajectoryTimeIsRecordedAndOlderRecordsRead) {
  const auto dir = iff::test::temp_dir("cost");
  iff::RunCost c = iff::RunCost::of("rollout", "fno", 1, 1);
  c.steps = 10;
  c.simulated_time = 5.0;
  c.trajectory_time = 7.5;  // two trajectories, one stopped at step 5 of 10
  c.wall_seconds = 3.0;
  iff::write_run_cost(dir + "/cost.csv", c);
  const auto r = iff::read_run_cost(dir + "/cost.csv");
  ASSERT_TRUE(r.trajectory_time.has_value());
  EXPECT_DOUBLE_EQ(*r.trajectory_time, 7.5);
  // a record without the column: no trajectory time
  std::ofstream(dir + "/old.csv")
      << "command,model,ranks,threads_per_rank,steps,simulated_time,wall_seconds,step_seconds,output_seconds,"
         "analysis_seconds,wall_per_unit_time,steps_per_second\nles,les-wale,2,1,100,2,3,,,,1.5,33.3\n";
  const auto o = iff::read_run_cost(dir + "/old.csv");
  EXPECT_DOUBLE_EQ(o.simulated_time, 2.0);
  EXPECT_FALSE(o.trajectory_time.has_value());
  // a row one field short of its header
  std::ofstream(dir + "/short.csv")
      << "command,model,ranks,threads_per_rank,steps,simulated_time,wall_seconds,step_seconds,output_seconds,"
         "analysis_seconds,wall_per_unit_time,steps_per_second,trajectory_time\nles,les-wale,2,1,100,2,3,,,,1.5,33.3\n";
  EXPECT_THROW(iff::read_run_cost(dir + "/short.csv"), iff::InputError);
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
