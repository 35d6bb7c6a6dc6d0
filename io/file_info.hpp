// `ifactflow info FILE`: what any file ifactflow writes holds, one "key : value" line per
// item: data-contract series (DNS, filtered DNS, LES, predictions), DNS/LES restart
// checkpoints, statistics files (stats.h5) and cost records (cost.csv). Operator checkpoints
// are described by operators/checkpoint_info.hpp (libtorch builds).
#pragma once

#include <string>

namespace iff {

/// Kinds of file describe_file() knows.
enum class FileKind { series, solver_checkpoint, statistics, cost_record, unknown };

/// The kind of `path` from its content (HDF5 datasets and attributes, or the CSV header).
FileKind file_kind(const std::string& path);

/// The description of `path`; `samples` snapshots of a series are read for per-component
/// mean and std. InputError naming the file for a file of no known kind.
std::string describe_file(const std::string& path, int samples = 8);

}  // namespace iff
