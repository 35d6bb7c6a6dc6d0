// Case files: YAML mapped onto typed Params structs.
//
// Every component reads its keys through a ConfigSection; each read records the value (or
// the default) in the resolved configuration, which is written beside the outputs. After
// all components have read theirs, Config::reject_unknown() turns any key that nobody read
// into a ConfigError naming the key, its value and the file (or `--set`) it came from.
//
//   auto cfg = iff::Config::load("cases/demo/dns.yaml", {"grid.nx=64"});
//   auto grid = GridParams::from(cfg.section("grid"));
//   cfg.reject_unknown();
//   cfg.write_resolved(out_dir + "/config.resolved.yaml");
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "io/error.hpp"

namespace iff {

class ConfigSection;

class Config {
 public:
  /// Loads a YAML case file and applies `overrides` of the form "section.key=value".
  static Config load(const std::string& path, const std::vector<std::string>& overrides = {});
  /// Same from text; `origin` names the source in error messages.
  static Config from_string(const std::string& yaml, const std::string& origin,
                            const std::vector<std::string>& overrides = {});

  /// A top-level section (an absent section reads as empty: every key takes its default).
  ConfigSection section(const std::string& name) const;
  bool has(const std::string& dotted_key) const;

  /// Throws ConfigError for the first key present in the input that no component read.
  void reject_unknown() const;
  /// The resolved configuration (every key read, with its value or default) as YAML text.
  std::string resolved_yaml() const;
  /// Writes resolved_yaml() atomically to `path`.
  void write_resolved(const std::string& path) const;
  /// Path of the case file ("" for from_string).
  const std::string& path() const;

  struct State;  // defined in config.cpp

 private:
  friend class ConfigSection;
  std::shared_ptr<State> s_;
};

/// A (possibly nested) section of a Config; cheap to copy.
class ConfigSection {
 public:
  /// Optional key with default; `meaning` documents it (and its units) in the resolved file.
  template <class T>
  T get(const std::string& key, const T& fallback) const;
  /// Mandatory key.
  template <class T>
  T require(const std::string& key) const;
  /// Optional numeric key checked against [lo, hi].
  template <class T>
  T get_in(const std::string& key, const T& fallback, const T& lo, const T& hi) const;
  /// Optional string key restricted to `choices`.
  std::string get_choice(const std::string& key, const std::string& fallback,
                         const std::vector<std::string>& choices) const;
  bool has(const std::string& key) const;
  ConfigSection section(const std::string& name) const;
  /// Dotted path of this section ("" at the root).
  const std::string& prefix() const { return prefix_; }

 private:
  friend class Config;
  ConfigSection(std::shared_ptr<Config::State> s, std::string prefix)
      : s_(std::move(s)), prefix_(std::move(prefix)) {}
  std::string full(const std::string& key) const;
  std::optional<YAML::Node> lookup(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const YAML::Node& value, const std::string& why) const;
  void record(const std::string& key, const YAML::Node& value) const;
  template <class T>
  T convert(const std::string& key, const YAML::Node& node) const;

  std::shared_ptr<Config::State> s_;
  std::string prefix_;
};

/// Splits "NXxNYxNZ" into three positive integers (InputError otherwise).
std::vector<int> parse_grid_triplet(const std::string& text);

}  // namespace iff
