// Case files: typed reads with defaults, --set overrides, and errors that name the key,
// the value and the source.
#include <gtest/gtest.h>
#include <filesystem>
#include <fstream>
#include <functional>

#include <unistd.h>

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

TEST(Config, KeyDocsRecordMeaningDefaultAllowedAndValue) {
  auto cfg = Config::from_string("time:\n  dt: 0.5\n", "case.yaml");
  auto t = cfg.section("time");
  t.get_in<double>("dt", 0.01, 1e-9, 1.0, "time step [h/u_tau]");
  t.get<int>("order", 3, "SBDF order");
  t.get_choice("scheme", "sbdf", {"sbdf", "rk3"}, "time stepper");
  const auto docs = cfg.key_docs();
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].key, "time.dt");
  EXPECT_EQ(docs[0].meaning, "time step [h/u_tau]");
  EXPECT_EQ(docs[0].fallback, "0.01");  // the shortest exact form, not 0.01000000000000000021
  EXPECT_EQ(docs[0].value, "0.5");
  EXPECT_EQ(docs[0].allowed, "[1e-09, 1]");
  EXPECT_EQ(docs[1].key, "time.order");
  EXPECT_EQ(docs[1].value, "3");
  EXPECT_EQ(docs[2].allowed, "sbdf | rk3");
}

TEST(Config, DocumentationReadsDefaultsAndRequiredKeysWithoutErrors) {
  auto doc = Config::documentation();
  EXPECT_TRUE(doc.documenting());
  auto s = doc.section("rollout");
  EXPECT_TRUE(s.documenting());
  EXPECT_EQ(s.require<std::string>("series", "the series"), "");
  EXPECT_EQ(s.get<int>("steps", 100, "steps"), 100);
  EXPECT_TRUE(s.keys().empty());
  const auto docs = doc.key_docs();
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_TRUE(docs[0].required);
  EXPECT_FALSE(docs[1].required);
  EXPECT_EQ(docs[1].fallback, "100");
  EXPECT_FALSE(Config::from_string("a: 1\n", "x").documenting());
}

TEST(Config, AKeyReadTwiceWithOtherMeaningsListsBoth) {
  auto doc = Config::documentation();
  doc.section("model").get<int>("n_layer", 10, "attention blocks");
  doc.section("model").get<int>("n_layer", 4, "Fourier layers");
  const auto d = doc.key_docs().at(0);
  EXPECT_EQ(d.meaning, "attention blocks; Fourier layers");
  EXPECT_EQ(d.fallback, "10 / 4");
}

TEST(Config, EnumKeysReadThroughTheirNames) {
  enum class Units { wall, centreline };
  const iff::EnumNames<Units> names{{Units::wall, "wall"}, {Units::centreline, "centreline"}};
  auto cfg = Config::from_string("physics:\n  units: centreline\n  bad: metric\n", "case.yaml");
  EXPECT_EQ(cfg.section("physics").get_enum("units", Units::wall, names, "units"), Units::centreline);
  EXPECT_EQ(cfg.section("other").get_enum("units", Units::centreline, names, "units"), Units::centreline);
  const auto msg = error_of([&] { cfg.section("physics").get_enum("bad", Units::wall, names, "units"); });
  EXPECT_NE(msg.find("key physics.bad = metric in case.yaml: expected one of: wall, centreline"), std::string::npos) << msg;
  EXPECT_EQ(names.name(Units::centreline), "centreline");
  EXPECT_EQ(names.listed(), "wall or centreline");
  EXPECT_FALSE(names.parse("metric").has_value());
  EXPECT_EQ(names.parse_or_throw("centreline", "units"), Units::centreline);
  try {
    names.parse_or_throw("metric", "units");
    FAIL() << "an unknown spelling was accepted";
  } catch (const iff::InputError& e) {
    EXPECT_EQ(std::string(e.what()), "unknown units 'metric' (expected wall or centreline)");
  }
}

TEST(Config, KeysListsASectionsChildrenAndReshapeRunsBeforeOverrides) {
  const auto dir = std::filesystem::temp_directory_path() / ("iff_cfg_reshape_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "c.yaml").string();
  std::ofstream(path) << "candidates:\n  - {label: a}\n  - {label: b}\n";
  auto cfg = Config::load(path, {"candidates.2.label=c"}, [](YAML::Node& root) {
    YAML::Node map(YAML::NodeType::Map);
    int n = 0;
    for (const auto& item : root["candidates"]) map[std::to_string(n++)] = YAML::Node(item);
    root["candidates"] = map;
  });
  EXPECT_EQ(cfg.section("candidates").keys(), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(cfg.section("candidates").section("1").get<std::string>("label", ""), "b");
  EXPECT_EQ(cfg.section("candidates").section("2").get<std::string>("label", ""), "c");
  std::filesystem::remove_all(dir);
}
