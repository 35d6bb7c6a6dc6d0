// One handle over the four neural operators: what kind, its hyper-parameters, the grid it
// runs on and the positions convention, and a module with forward(u) → next snapshot.
//
// Layout (all kinds): u [b, nx, ny, nz, 3] or [b, T, nx, ny, nz, 3] normalised velocity →
// [b, nx, ny, nz, 3] normalised velocity of the next snapshot.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "operators/fno.hpp"
#include "operators/ifactformer.hpp"
#include "operators/model_spec.hpp"

namespace iff::operators {

/// A built model: the module (named as the reference for state_dict import) and its forward.
struct Model {
  ModelSpec spec;
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&)> forward;
  torch::Tensor operator()(const torch::Tensor& u) const { return forward(u); }
  int64_t parameter_count() const;
};

/// Builds a freshly initialised model (torch's global generator; seed it first).
Model make_model(const ModelSpec& spec);

}  // namespace iff::operators
