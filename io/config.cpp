#include "io/config.hpp"

#include <cmath>
#include <filesystem>
#include <map>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "io/fsutil.hpp"

namespace iff {

struct Config::State {
  std::string path;                        // case file, "" when from a string
  std::string origin;                      // how errors name the source
  YAML::Node root;                         // input after overrides
  std::map<std::string, std::string> set;  // dotted key -> "--set" for overridden keys
  mutable std::set<std::string> used;      // dotted keys read by a component
  mutable YAML::Node resolved = YAML::Node(YAML::NodeType::Map);
  bool documenting = false;                // Config::documentation()
  mutable std::vector<Config::KeyDoc> docs;       // in the order of the first read
  mutable std::map<std::string, std::size_t> doc_of;  // dotted key -> index in docs
};

namespace {

std::vector<std::string> split_dots(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream ss(key);
  std::string p;
  while (std::getline(ss, p, '.')) parts.push_back(p);
  return parts;
}

/// The node at a dotted path below `root` (null when the key is given empty), if any.
std::optional<YAML::Node> node_at(const YAML::Node& root, const std::string& dotted) {
  YAML::Node n = root;
  for (const auto& p : split_dots(dotted)) {
    if (!n.IsMap()) return std::nullopt;
    YAML::Node c = n[p];
    if (!c.IsDefined()) return std::nullopt;
    n.reset(c);
  }
  return n;
}

/// `s` for one error line: line breaks and other control characters shown escaped.
std::string single_line(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else out += c;
  }
  return out;
}

/// A value as it appears in one error line: flow style, line breaks shown as \n.
std::string scalar_text(const YAML::Node& n) {
  std::string s;
  if (!n.IsDefined() || n.IsNull()) {
    s = "null";
  } else if (n.IsScalar()) {
    s = n.Scalar();
  } else {
    YAML::Emitter e;
    e << YAML::Flow << n;
    s = e.c_str();
  }
  return single_line(s);
}

void apply_override(Config::State& s, const std::string& text) {
  const auto eq = text.find('=');
  IFF_CHECK_AS(ConfigError, eq != std::string::npos && eq > 0,
               "--set " << text << ": expected section.key=value");
  const std::string key = text.substr(0, eq);
  const std::string value = text.substr(eq + 1);
  IFF_CHECK_AS(ConfigError, value.find_first_not_of(" \t") != std::string::npos,
               "--set " << text << ": empty value for " << key);
  auto parts = split_dots(key);
  YAML::Node node = s.root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node child = node[parts[i]];
    if (!child.IsDefined() || child.IsNull()) node[parts[i]] = YAML::Node(YAML::NodeType::Map);
    IFF_CHECK_AS(ConfigError, node[parts[i]].IsMap(),
                 "--set " << text << ": " << parts[i] << " is not a section");
    node.reset(node[parts[i]]);
  }
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw ConfigError("--set " + single_line(text) + ": value is not valid YAML (" + single_line(e.msg) + ")");
  }
  node[parts.back()] = parsed;
  s.set[key] = "--set";
}

void collect_leaves(const YAML::Node& n, const std::string& prefix,
                    std::vector<std::pair<std::string, YAML::Node>>& out) {
  if (n.IsMap() && n.size() > 0) {
    for (const auto& kv : n) {
      const std::string k = scalar_text(kv.first);
      collect_leaves(kv.second, prefix.empty() ? k : prefix + "." + k, out);
    }
  } else if (!prefix.empty()) {
    out.emplace_back(prefix, n);
  }
}

/// Duplicate keys in any map of `n` (yaml-cpp keeps the first silently): ConfigError naming
/// the key, both lines and the source.
void reject_duplicate_keys(const YAML::Node& n, const std::string& prefix, const std::string& origin) {
  if (n.IsMap()) {
    std::map<std::string, int> line;
    for (const auto& kv : n) {
      const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : scalar_text(kv.first);
      const std::string dotted = prefix.empty() ? k : prefix + "." + k;
      const int here = kv.first.Mark().line + 1;
      const auto [it, fresh] = line.emplace(k, here);
      IFF_CHECK_AS(ConfigError, fresh,
                   origin << ": duplicate key " << dotted << " (lines " << it->second << " and " << here << ")");
      reject_duplicate_keys(kv.second, dotted, origin);
    }
  } else if (n.IsSequence()) {
    for (const auto& item : n) reject_duplicate_keys(item, prefix, origin);
  }
}

}  // namespace

Config Config::from_string(const std::string& yaml, const std::string& origin,
                           const std::vector<std::string>& overrides, const Reshape& reshape) {
  Config c;
  c.s_ = std::make_shared<State>();
  c.s_->origin = origin;
  try {
    c.s_->root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ": not valid YAML: " + single_line(e.what()));
  }
  if (!c.s_->root.IsDefined() || c.s_->root.IsNull()) c.s_->root = YAML::Node(YAML::NodeType::Map);
  IFF_CHECK_AS(ConfigError, c.s_->root.IsMap(), origin << ": the top level must be a map of sections");
  reject_duplicate_keys(c.s_->root, "", origin);
  if (reshape) reshape(c.s_->root);
  for (const auto& o : overrides) apply_override(*c.s_, o);
  return c;
}

Config Config::load(const std::string& path, const std::vector<std::string>& overrides, const Reshape& reshape) {
  std::error_code ec;
  IFF_CHECK_AS(InputError, !std::filesystem::is_directory(path, ec), "case file " << path << " is a directory");
  std::ifstream in(path);
  IFF_CHECK_AS(InputError, in.good(), "case file " << path << " cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  IFF_CHECK_AS(InputError, !in.bad(), "case file " << path << " cannot be read");
  YAML::Node probe;
  try {
    probe = YAML::Load(ss.str());
  } catch (const YAML::Exception&) {
    probe = YAML::Node(YAML::NodeType::Map);  // from_string reports the syntax error
  }
  IFF_CHECK_AS(ConfigError, probe.IsDefined() && !probe.IsNull(),
               "case file " << path << " is empty (expected a map of sections, e.g. cases/demo/dns.yaml)");
  Config c = from_string(ss.str(), path, overrides, reshape);
  c.s_->path = path;
  return c;
}

ConfigSection Config::section(const std::string& name) const { return ConfigSection(s_, name); }

bool Config::has(const std::string& dotted_key) const { return node_at(s_->root, dotted_key).has_value(); }

void Config::reject_unknown() const {
  std::vector<std::pair<std::string, YAML::Node>> leaves;
  collect_leaves(s_->root, "", leaves);
  for (const auto& [key, value] : leaves) {
    bool known = s_->used.count(key) > 0;
    // a key inside a list-valued or map-valued key that was read as a whole is known too
    for (const auto& u : s_->used)
      if (key.rfind(u + ".", 0) == 0) known = true;
    if (!known) {
      const auto it = s_->set.find(key);
      const std::string from = it != s_->set.end() ? it->second : s_->origin;
      throw ConfigError("unknown key " + key + " = " + scalar_text(value) + " in " + from);
    }
  }
}

std::string Config::resolved_yaml() const {
  YAML::Emitter e;
  e << s_->resolved;
  return std::string(e.c_str()) + "\n";
}

void Config::write_resolved(const std::string& path) const { write_text_atomic(path, resolved_yaml()); }

const std::string& Config::path() const { return s_->path; }

Config Config::documentation() {
  Config c = from_string("{}", "the documentation of the case keys");
  c.s_->documenting = true;
  return c;
}

bool Config::documenting() const { return s_->documenting; }

std::vector<Config::KeyDoc> Config::key_docs() const { return s_->docs; }

// ---------------------------------------------------------------------------------------

std::string ConfigSection::full(const std::string& key) const {
  return prefix_.empty() ? key : prefix_ + "." + key;
}

ConfigSection ConfigSection::section(const std::string& name) const {
  return ConfigSection(s_, full(name));
}

std::optional<YAML::Node> ConfigSection::lookup(const std::string& key) const {
  auto n = node_at(s_->root, full(key));
  if (n && n->IsNull()) return std::nullopt;  // a key given empty reads as absent
  return n;
}

bool ConfigSection::has(const std::string& key) const { return lookup(key).has_value(); }

bool ConfigSection::documenting() const { return s_->documenting; }

std::vector<std::string> ConfigSection::keys() const {
  std::vector<std::string> out;
  const auto n = node_at(s_->root, prefix_);
  if (n && n->IsMap())
    for (const auto& kv : *n) out.push_back(scalar_text(kv.first));
  return out;
}

void ConfigSection::fail(const std::string& key, const YAML::Node& value, const std::string& why) const {
  const std::string k = full(key);
  const auto it = s_->set.find(k);
  const std::string from = it != s_->set.end() ? it->second : s_->origin;
  throw ConfigError("key " + k + " = " + scalar_text(value) + " in " + from + ": " + why);
}

void ConfigSection::describe(const std::string& key, const char* meaning, const std::string& fallback,
                             bool required, const std::string& allowed) const {
  const std::string k = full(key);
  auto [it, fresh] = s_->doc_of.emplace(k, s_->docs.size());
  if (fresh) s_->docs.push_back(Config::KeyDoc{k, "", "", "", "", false});
  auto& d = s_->docs[it->second];
  // a key read twice with other meanings (the documentation reads every model kind's keys)
  // lists both
  if (meaning && *meaning && d.meaning.find(meaning) == std::string::npos)
    d.meaning += (d.meaning.empty() ? "" : "; ") + std::string(meaning);
  if (fresh) d.fallback = fallback;
  else if (fallback != d.fallback && d.fallback.find(" / " + fallback) == std::string::npos && !fallback.empty())
    d.fallback += " / " + fallback;
  d.required = d.required || required;
  if (!allowed.empty()) d.allowed = allowed;
}

void ConfigSection::record(const std::string& key, const YAML::Node& value) const {
  const std::string k = full(key);
  s_->used.insert(k);
  auto parts = split_dots(k);
  YAML::Node node = s_->resolved;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!node[parts[i]].IsDefined() || !node[parts[i]].IsMap())
      node[parts[i]] = YAML::Node(YAML::NodeType::Map);
    node.reset(node[parts[i]]);
  }
  node[parts.back()] = YAML::Clone(value);
}

namespace {
template <class T>
const char* type_name() {
  if constexpr (std::is_same_v<T, bool>) return "a boolean (true/false)";
  else if constexpr (std::is_integral_v<T>) return "an integer";
  else if constexpr (std::is_floating_point_v<T>) return "a number";
  else if constexpr (std::is_same_v<T, std::string>) return "a string";
  else return "a list";
}

/// A default as `ifactflow config` prints it: numbers in their shortest exact form.
template <class T>
std::string default_text(const T& v) {
  if constexpr (std::is_floating_point_v<T>) {
    return fmt::format("{}", v);
  } else if constexpr (std::is_same_v<T, std::vector<double>> || std::is_same_v<T, std::vector<int>>) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + fmt::format("{}", x);
    return "[" + s + "]";
  } else {
    return scalar_text(YAML::Node(v));
  }
}
}  // namespace

template <class T>
T ConfigSection::convert(const std::string& key, const YAML::Node& node) const {
  try {
    if constexpr (std::is_same_v<T, std::string>) {
      if (!node.IsScalar()) fail(key, node, std::string("expected ") + type_name<T>());
      return node.Scalar();
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!node.IsScalar()) fail(key, node, std::string("expected ") + type_name<T>());
      return node.as<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      if (!node.IsScalar()) fail(key, node, std::string("expected ") + type_name<T>());
      // reject 3.5 for an integer (yaml-cpp would truncate through long double otherwise)
      const std::string& s = node.Scalar();
      if (s.find_first_of(".eE") != std::string::npos && s.find("0x") == std::string::npos)
        fail(key, node, std::string("expected ") + type_name<T>());
      return node.as<T>();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!node.IsScalar()) fail(key, node, std::string("expected ") + type_name<T>());
      const T v = node.as<T>();
      if (!std::isfinite(v)) fail(key, node, "expected a finite number");
      return v;
    } else {
      if (!node.IsSequence()) fail(key, node, std::string("expected ") + type_name<T>());
      T v = node.as<T>();
      if constexpr (std::is_same_v<T, std::vector<double>>)
        for (double x : v)
          if (!std::isfinite(x)) fail(key, node, "expected finite numbers");
      return v;
    }
  } catch (const YAML::Exception&) {
    fail(key, node, std::string("expected ") + type_name<T>());
  }
}

template <class T>
T ConfigSection::get(const std::string& key, const T& fallback, const char* meaning) const {
  describe(key, meaning, default_text(fallback), false);
  auto n = lookup(key);
  if (!n) {
    record(key, YAML::Node(fallback));
    s_->docs[s_->doc_of.at(full(key))].value = default_text(fallback);
    return fallback;
  }
  T v = convert<T>(key, *n);
  record(key, YAML::Node(v));
  s_->docs[s_->doc_of.at(full(key))].value = default_text(v);
  return v;
}

template <class T>
T ConfigSection::require(const std::string& key, const char* meaning) const {
  describe(key, meaning, "", true);
  auto n = lookup(key);
  if (!n && s_->documenting) return T{};
  if (!n) {
    const std::string k = full(key);
    throw ConfigError("missing key " + k + " in " + s_->origin);
  }
  T v = convert<T>(key, *n);
  record(key, YAML::Node(v));
  s_->docs[s_->doc_of.at(full(key))].value = default_text(v);
  return v;
}

template <class T>
T ConfigSection::get_in(const std::string& key, const T& fallback, const T& lo, const T& hi,
                        const char* meaning) const {
  std::ostringstream range;
  range << "[" << lo << ", " << hi << "]";
  describe(key, meaning, default_text(fallback), false, range.str());
  T v = get<T>(key, fallback);
  // (a default outside the range stands for "absent": the documentation lists it as it is)
  if ((v < lo || v > hi) && !s_->documenting) {
    std::ostringstream why;
    why << "out of range [" << lo << ", " << hi << "]";
    fail(key, YAML::Node(v), why.str());
  }
  return v;
}

std::string ConfigSection::resolve_path(const std::string& key, const std::string& value) const {
  describe(key, nullptr, "", false, "path");
  const std::string k = full(key);
  if (value.empty() || !lookup(key) || s_->set.count(k) || s_->path.empty()) return value;
  const std::filesystem::path p(value), base = std::filesystem::path(s_->path).parent_path();
  if (p.is_absolute() || base.empty()) return value;
  std::string r = (base / p).lexically_normal().string();
  if (r.empty()) r = ".";
  record(key, YAML::Node(r));
  s_->docs[s_->doc_of.at(k)].value = r;
  return r;
}

std::string ConfigSection::get_path(const std::string& key, const std::string& fallback, const char* meaning) const {
  return resolve_path(key, get<std::string>(key, fallback, meaning));
}

std::string ConfigSection::require_path(const std::string& key, const char* meaning) const {
  return resolve_path(key, require<std::string>(key, meaning));
}

std::string ConfigSection::get_choice(const std::string& key, const std::string& fallback,
                                      const std::vector<std::string>& choices, const char* meaning) const {
  std::string allowed;
  for (const auto& c : choices) allowed += (allowed.empty() ? "" : " | ") + c;
  describe(key, meaning, fallback, false, allowed);
  std::string v = get<std::string>(key, fallback);
  for (const auto& c : choices)
    if (c == v) return v;
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  fail(key, YAML::Node(v), "expected one of: " + list);
}

#define IFF_CONFIG_INSTANTIATE(T)                                              \
  template T ConfigSection::get<T>(const std::string&, const T&, const char*) const; \
  template T ConfigSection::require<T>(const std::string&, const char*) const;
IFF_CONFIG_INSTANTIATE(bool)
IFF_CONFIG_INSTANTIATE(int)
IFF_CONFIG_INSTANTIATE(long)
IFF_CONFIG_INSTANTIATE(double)
IFF_CONFIG_INSTANTIATE(std::string)
IFF_CONFIG_INSTANTIATE(std::vector<int>)
IFF_CONFIG_INSTANTIATE(std::vector<double>)
IFF_CONFIG_INSTANTIATE(std::vector<std::string>)
template int ConfigSection::get_in<int>(const std::string&, const int&, const int&, const int&, const char*) const;
template long ConfigSection::get_in<long>(const std::string&, const long&, const long&, const long&,
                                          const char*) const;
template double ConfigSection::get_in<double>(const std::string&, const double&, const double&, const double&,
                                              const char*) const;

std::vector<int> parse_grid_triplet(const std::string& text) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, 'x')) {
    try {
      size_t used = 0;
      const int v = std::stoi(part, &used);
      IFF_REQUIRE(used == part.size() && v > 0, "");
      out.push_back(v);
    } catch (const std::exception&) {
      throw InputError("grid '" + text + "': expected NXxNYxNZ with positive integers");
    }
  }
  IFF_REQUIRE(out.size() == 3, "grid '" << text << "': expected NXxNYxNZ with positive integers");
  return out;
}

}  // namespace iff
