// The `model` section of a case file → ModelSpec (hyper-parameters only; the grid comes
// from the series or from `model.grid`).
//
//   model:
//     kind: ifactformer-m          # ifactformer-m | ifactformer-o | fno | ifno
//     positions: reference         # IFactFormer: reference | grid
//     dim: 96  heads: 5  dim_head: 96  kernel_multiplier: 3  n_layer: 10 ...
#pragma once

#include "io/config.hpp"
#include "operators/model_spec.hpp"

namespace iff::operators {

/// Reads the hyper-parameters of `sec` for the kind it names (keys of other kinds stay
/// unread, so reject_unknown() names them).
ModelSpec model_spec_from(const ConfigSection& sec);

}  // namespace iff::operators
