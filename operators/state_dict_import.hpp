// Reference PyTorch weights in and out.
//
// Import reads a state_dict as PyTorch users save it (operators/state_dict_pickle.hpp),
//   torch.save(model.state_dict(), "weights.pt")   or   torch.save(dict(...), ...)
// (float32 or float64), and copies every tensor into the project's module by exact name. Any
// missing, unexpected or mis-shaped tensor, or one holding a NaN or an infinity, is an
// InputError naming it (also for the weights of a checkpoint, which load the same way).
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>

namespace iff::operators {

using StateDict = std::map<std::string, torch::Tensor>;

/// Parameters and buffers of `m` by their dotted names.
StateDict state_dict(const torch::nn::Module& m);

/// Reads a state_dict file (InputError naming the file, or the entry, when it is not one).
StateDict load_state_dict_file(const std::string& path);

/// Writes `sd` as a plain dict that torch.load reads (written atomically).
void save_state_dict_file(const StateDict& sd, const std::string& path);

/// Copies `sd` into `m` (values cast to the module's dtype). `origin` names the source in
/// errors. Checks all names, shapes and that every value is finite before changing anything.
void load_state_dict(torch::nn::Module& m, const StateDict& sd, const std::string& origin);

}  // namespace iff::operators
