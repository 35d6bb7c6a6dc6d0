// Small JSON writing helpers for the files ifactflow writes beside its outputs (an export's
// hyper-parameters, compare's summary.json).
#pragma once

#include <string>

namespace iff {

/// s as a JSON string literal: quoted, with ", \ and control characters escaped (RFC 8259 §7).
std::string json_string(const std::string& s);

}  // namespace iff
