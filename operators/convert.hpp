// `ifactflow convert`: reference PyTorch weights → operator checkpoint (torch-free header).
#pragma once

#include <cstdint>
#include <string>

#include "operators/model_spec.hpp"

namespace iff::operators {

struct ConvertRequest {
  std::string state_dict;  ///< torch.save(dict(model.state_dict()), f) file (float32 or float64)
  ModelSpec spec;          ///< kind, hyper-parameters, grid and positions of the model
  std::string norm_file;   ///< normalisation file ("" = identity)
  std::string output;      ///< checkpoint to write (atomically)
  std::string provenance;  ///< stored in the checkpoint
  std::string config;      ///< stored in the checkpoint
};

/// Builds the model, imports every tensor by name (InputError naming any missing,
/// unexpected or mis-shaped tensor), writes the checkpoint when `write`; returns the
/// parameter count.
int64_t convert_reference_weights(const ConvertRequest& request, bool write = true);

}  // namespace iff::operators
