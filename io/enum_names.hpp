// The spellings of an enumeration's values in case files and outputs: one table per enum,
// used both to read a choice key (ConfigSection::get_enum) and to write the value back.
//
//   enum class Units { wall, centreline };
//   inline const EnumNames<Units> kUnitsNames{{Units::wall, "wall"}, {Units::centreline, "centreline"}};
//   kUnitsNames.name(Units::wall) == "wall"; kUnitsNames.parse("centreline") == Units::centreline
//   kUnitsNames.parse_or_throw("metric", "units") throws "unknown units 'metric' (expected wall or centreline)"
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/error.hpp"

namespace iff {

template <class E>
class EnumNames {
 public:
  EnumNames(std::initializer_list<std::pair<E, const char*>> items) : items_(items) {}

  /// The spelling of `e` ("" for a value without one).
  std::string name(E e) const {
    for (const auto& [v, s] : items_)
      if (v == e) return s;
    return "";
  }
  /// The value spelled `s`, if any.
  std::optional<E> parse(const std::string& s) const {
    for (const auto& [v, n] : items_)
      if (s == n) return v;
    return std::nullopt;
  }
  /// The value spelled `s`; InputError naming `what`, `s` and the spellings otherwise (for
  /// values read elsewhere than a case key: a file's attribute, a program argument).
  E parse_or_throw(const std::string& s, const std::string& what) const {
    if (const auto v = parse(s)) return *v;
    throw InputError("unknown " + what + " '" + s + "' (expected " + listed() + ")");
  }
  /// Every spelling, in table order.
  std::vector<std::string> spellings() const {
    std::vector<std::string> out;
    for (const auto& item : items_) out.emplace_back(item.second);
    return out;
  }
  /// "a, b or c", for messages.
  std::string listed() const {
    std::string out;
    for (std::size_t i = 0; i < items_.size(); ++i)
      out += (i == 0 ? "" : i + 1 == items_.size() ? " or " : ", ") + std::string(items_[i].second);
    return out;
  }

 private:
  std::vector<std::pair<E, const char*>> items_;
};

}  // namespace iff
