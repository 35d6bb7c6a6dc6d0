// Case files: typed reads with defaults, --set overrides, and errors that name the key,
// the value and the source.
#include <gtest/gtest.h>
#include <filesystem>
#include <fstream>
#include <functional>

#include "io/config.hpp"

using iff::Config;
using iff::ConfigError;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Config, ReadsValuesAndDefaultsIntoTheResolvedFile) {
  auto cfg = Config::from_string("grid:\n  nx: 64\n  lx: 3.5\nrun:\n  name: demo\n", "case.yaml");
  auto g = cfg.section("grid");
  EXPECT_EQ(g.get<int>("nx", 32), 64);
  EXPECT_EQ(g.get<int>("ny", 33), 33);
  EXPECT_DOUBLE_EQ(g.get<double>("lx", 1.0), 3.5);
  EXPECT_EQ(cfg.section("run").get<std::string>("name", "x"), "demo");
  cfg.reject_unknown();
  const std::string resolved = cfg.resolved_yaml();
  EXPECT_NE(resolved.find("ny: 33"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("nx: 64"), std::string::npos) << resolved;
  // the resolved text reads back to the same values
  auto again = Config::from_string(resolved, "resolved");
  EXPECT_EQ(again.section("grid").get<int>("ny", 0), 33);
}

TEST(Config, SetOverridesFileValuesAndCreatesSections) {
  auto cfg = Config::from_string("grid:\n  nx: 64\n", "case.yaml", {"grid.nx=128", "time.dt=0.5"});
  EXPECT_EQ(cfg.section("grid").get<int>("nx", 0), 128);
  EXPECT_DOUBLE_EQ(cfg.section("time").get<double>("dt", 1.0), 0.5);
  cfg.reject_unknown();
}

TEST(Config, UnknownKeyNamesKeyValueAndFile) {
  auto cfg = Config::from_string("grid:\n  nx: 64\n  nxx: 7\n", "cases/x.yaml");
  cfg.section("grid").get<int>("nx", 0);
  const auto msg = error_of([&] { cfg.reject_unknown(); });
  EXPECT_NE(msg.find("grid.nxx"), std::string::npos) << msg;
  EXPECT_NE(msg.find("7"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cases/x.yaml"), std::string::npos) << msg;
}

TEST(Config, UnknownKeyFromSetNamesSet) {
  auto cfg = Config::from_string("grid:\n  nx: 64\n", "case.yaml", {"grid.bogus=1"});
  cfg.section("grid").get<int>("nx", 0);
  const auto msg = error_of([&] { cfg.reject_unknown(); });
  EXPECT_NE(msg.find("grid.bogus"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--set"), std::string::npos) << msg;
}

TEST(Config, WrongTypeIsAnError) {
  auto cfg = Config::from_string("grid:\n  nx: sixty\n  dt: 0.5\n  flag: maybe\n", "case.yaml");
  auto g = cfg.section("grid");
  auto msg = error_of([&] { g.get<int>("nx", 1); });
  EXPECT_NE(msg.find("grid.nx = sixty"), std::string::npos) << msg;
  EXPECT_NE(msg.find("case.yaml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("integer"), std::string::npos) << msg;
  EXPECT_FALSE(error_of([&] { g.get<int>("dt", 1); }).empty()) << "0.5 accepted as an integer";
  EXPECT_FALSE(error_of([&] { g.get<bool>("flag", false); }).empty());
}

TEST(Config, OutOfRangeNamesTheRange) {
  auto cfg = Config::from_string("grid:\n  nx: -4\n", "case.yaml");
  const auto msg = error_of([&] { cfg.section("grid").get_in<int>("nx", 32, 1, 4096); });
  EXPECT_NE(msg.find("grid.nx = -4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("out of range"), std::string::npos) << msg;
}

TEST(Config, ChoicesAreChecked) {
  auto cfg = Config::from_string("sgs:\n  model: dynamic\n", "case.yaml");
  const auto msg = error_of([&] { cfg.section("sgs").get_choice("model", "none", {"none", "dsm", "wale"}); });
  EXPECT_NE(msg.find("dsm"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sgs.model = dynamic"), std::string::npos) << msg;
}

TEST(Config, MissingRequiredKeyIsAnError) {
  auto cfg = Config::from_string("grid: {}\n", "case.yaml");
  const auto msg = error_of([&] { cfg.section("grid").require<int>("nx"); });
  EXPECT_NE(msg.find("grid.nx"), std::string::npos) << msg;
}

TEST(Config, BadSetSyntaxAndBadYamlAreErrors) {
  EXPECT_THROW(Config::from_string("a: 1\n", "c.yaml", {"novalue"}), ConfigError);
  EXPECT_THROW(Config::from_string("a: [1, 2\n", "c.yaml"), ConfigError);
  EXPECT_THROW(Config::from_string("- 1\n- 2\n", "c.yaml"), ConfigError);
  EXPECT_THROW(Config::load("/nonexistent/case.yaml"), iff::InputError);
}

TEST(Config, ListsAndNestedSections) {
  auto cfg = Config::from_string("out:\n  stats:\n    yplus: [5, 15, 30]\n", "c.yaml");
  auto y = cfg.section("out").section("stats").get<std::vector<double>>("yplus", {});
  ASSERT_EQ(y.size(), 3u);
  EXPECT_DOUBLE_EQ(y[1], 15.0);
  cfg.reject_unknown();
}

TEST(Config, GridTriplet) {
  EXPECT_EQ(iff::parse_grid_triplet("32x33x16"), (std::vector<int>{32, 33, 16}));
  EXPECT_THROW(iff::parse_grid_triplet("32x33"), iff::InputError);
  EXPECT_THROW(iff::parse_grid_triplet("32x-3x16"), iff::InputError);
  EXPECT_THROW(iff::parse_grid_triplet("32xax16"), iff::InputError);
}

// Inputs that used to pass silently: an empty case file, /dev/null or a directory as the case
// (run with all defaults), a duplicate key (the first value used), an empty --set value
// (the default used), a non-finite number in a list.
TEST(Config, EmptyUnreadableAndDirectoryCaseFilesAreErrors) {
  const std::string dir = ::testing::TempDir() + "/iff_config_empty";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/empty.yaml") << "";
  std::ofstream(dir + "/comment.yaml") << "# nothing but a comment\n";
  auto load_error = [](const std::string& path) {
    try {
      Config::load(path);
    } catch (const iff::InputError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  for (const std::string path : {dir + "/empty.yaml", dir + "/comment.yaml", std::string("/dev/null")}) {
    const auto e = load_error(path);
    EXPECT_NE(e.find("case file " + path + " is empty"), std::string::npos) << e;
  }
  EXPECT_NE(load_error(dir).find("case file " + dir + " is a directory"), std::string::npos) << load_error(dir);
  EXPECT_NE(load_error(dir + "/absent.yaml").find("cannot be read"), std::string::npos);
}

TEST(Config, DuplicateKeysAreErrorsNamingBothLines) {
  const auto e = error_of([] { Config::from_string("time:\n  dt: 0.01\n  steps: 4\n  dt: 0.02\n", "case.yaml"); });
  EXPECT_NE(e.find("case.yaml: duplicate key time.dt (lines 2 and 4)"), std::string::npos) << e;
  const auto top = error_of([] { Config::from_string("grid: {nx: 4}\ntime: {dt: 1}\ngrid: {nx: 8}\n", "c.yaml"); });
  EXPECT_NE(top.find("duplicate key grid (lines 1 and 3)"), std::string::npos) << top;
  EXPECT_EQ(error_of([] { Config::from_string("a: {x: 1}\nb: {x: 2}\n", "c.yaml"); }), "");  // same name, other maps
}

TEST(Config, EmptySetValueAndNonFiniteListsAreErrors) {
  const auto e = error_of([] { Config::from_string("time: {steps: 4}\n", "c.yaml", {"time.steps="}); });
  EXPECT_NE(e.find("--set time.steps=: empty value for time.steps"), std::string::npos) << e;
  EXPECT_NE(error_of([] { Config::from_string("", "c.yaml", {"time.steps=  "}); }).find("empty value"), std::string::npos);
  auto cfg = Config::from_string("out:\n  y_plus: [5, .nan, 30]\n  dt: .inf\n", "c.yaml");
  const auto list = error_of([&] { cfg.section("out").get<std::vector<double>>("y_plus", {}); });
  EXPECT_NE(list.find("key out.y_plus"), std::string::npos) << list;
  EXPECT_NE(list.find("expected finite numbers"), std::string::npos) << list;
  EXPECT_NE(error_of([&] { cfg.section("out").get<double>("dt", 1.0); }).find("expected a finite number"),
            std::string::npos);
}
