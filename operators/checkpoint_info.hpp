// Describing operator checkpoints without exposing libtorch to the caller (used by
// `ifactflow info`).
#pragma once

#include <string>

namespace iff {

/// True when `path` is an ifactflow operator checkpoint.
bool is_checkpoint(const std::string& path);
/// Human-readable summary: model kind, hyper-parameters, parameter count, grid,
/// normalisation, training state, provenance.
std::string describe_checkpoint(const std::string& path);

}  // namespace iff
