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

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "io/enum_names.hpp"
#include "io/error.hpp"

namespace iff {

class ConfigSection;

class Config {
 public:
  /// Rewrites a case's YAML tree before the overrides apply (e.g. a list of sections into a
  /// map keyed 0, 1, ... so that every key is addressable).
  using Reshape = std::function<void(YAML::Node& root)>;
  /// Loads a YAML case file and applies `overrides` of the form "section.key=value".
  static Config load(const std::string& path, const std::vector<std::string>& overrides = {},
                     const Reshape& reshape = {});
  /// Same from text; `origin` names the source in error messages.
  static Config from_string(const std::string& yaml, const std::string& origin,
                            const std::vector<std::string>& overrides = {}, const Reshape& reshape = {});

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

  /// A configuration that documents instead of reading: every read returns its default (a
  /// required key a default-constructed value) and records the key's documentation. Reading a
  /// command's case from it lists every key the command reads (`ifactflow config COMMAND`).
  static Config documentation();
  bool documenting() const;

  /// What a component said about one key when it read it.
  struct KeyDoc {
    std::string key;       ///< dotted key
    std::string meaning;   ///< what it is, with its units in brackets
    std::string fallback;  ///< default as YAML text ("" when required)
    std::string allowed;   ///< "a | b | c" for a choice, "[lo, hi]" for a range, "" otherwise
    std::string value;     ///< the value read (the default when absent), as YAML text
    bool required = false;
  };
  /// Every key read so far, in the order of the first read.
  std::vector<KeyDoc> key_docs() const;

  struct State;  // defined in config.cpp

 private:
  friend class ConfigSection;
  std::shared_ptr<State> s_;
};

/// A (possibly nested) section of a Config; cheap to copy.
class ConfigSection {
 public:
  // Each read takes the key's `meaning`: what it is, with its units in brackets. It is the
  // key's one documentation, printed by `ifactflow config`.

  /// Optional key with default.
  template <class T>
  T get(const std::string& key, const T& fallback, const char* meaning = "") const;
  /// Mandatory key.
  template <class T>
  T require(const std::string& key, const char* meaning = "") const;
  /// Optional numeric key checked against [lo, hi].
  template <class T>
  T get_in(const std::string& key, const T& fallback, const T& lo, const T& hi, const char* meaning = "") const;
  /// Optional string key restricted to `choices`.
  std::string get_choice(const std::string& key, const std::string& fallback,
                         const std::vector<std::string>& choices, const char* meaning = "") const;
  /// Optional key naming a file or folder. A relative path given in the case file is taken
  /// relative to the case file's folder (and recorded so in the resolved configuration); one
  /// given by --set, or the default, relative to the working directory.
  std::string get_path(const std::string& key, const std::string& fallback, const char* meaning = "") const;
  /// Mandatory key naming a file or folder, resolved as get_path.
  std::string require_path(const std::string& key, const char* meaning = "") const;
  /// Optional choice key read as an enumeration spelled by `names`.
  template <class E>
  E get_enum(const std::string& key, E fallback, const EnumNames<E>& names, const char* meaning = "") const {
    return *names.parse(get_choice(key, names.name(fallback), names.spellings(), meaning));
  }
  bool has(const std::string& key) const;
  ConfigSection section(const std::string& name) const;
  /// The names of this section's keys in the input (none in the documentation).
  std::vector<std::string> keys() const;
  /// True when reading Config::documentation().
  bool documenting() const;
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
  void describe(const std::string& key, const char* meaning, const std::string& fallback, bool required,
                const std::string& allowed = "") const;
  template <class T>
  T convert(const std::string& key, const YAML::Node& node) const;
  std::string resolve_path(const std::string& key, const std::string& value) const;

  std::shared_ptr<Config::State> s_;
  std::string prefix_;
};

/// Splits "NXxNYxNZ" into three positive integers (InputError otherwise).
std::vector<int> parse_grid_triplet(const std::string& text);

}  // namespace iff
