// What the linked libtorch offers, without exposing torch headers to the caller.
#pragma once

#include <string>

namespace iff {

/// e.g. "libtorch 1.13.1 (devices: cpu; cuda: 1 device(s))", as seen at run time.
std::string torch_features();

}  // namespace iff
