// A checkpoint back out to PyTorch (`ifactflow export MODEL.ckpt -o FILE.pt`):
//
//   FILE.pt    the weights as a state_dict (a dict of tensors, in the checkpoint's precision)
//              with the reference implementation's parameter and buffer names, so that
//              model.load_state_dict(torch.load(FILE.pt), strict=True) loads it into the
//              reference model built with the same hyper-parameters
//   FILE.json  what the weights need beside them: model kind, hyper-parameters (the keys
//              of a case file's model section), grid sizes and box, the positions
//              convention, the normalisation u_in = (u - in_mean)/in_std and
//              u = out·out_std + out_mean (per component u, v, w), the precision,
//              training progress and provenance
//
// Both are written under a temporary name and renamed into place.
#pragma once

#include <string>

namespace iff::operators {

struct CheckpointData;

struct ExportResult {
  std::string state_dict, json;  ///< the files written
  long tensors = 0;              ///< tensors in the state_dict
  long parameters = 0;           ///< values in them
};

/// Writes `output` (.pt) and the JSON beside it (`output` with .json for .pt). InputError for
/// a missing or foreign checkpoint, or an output that is a directory.
ExportResult export_checkpoint(const std::string& checkpoint, const std::string& output);

/// The JSON description of a checkpoint (see above); `dtype` is float32 or float64.
std::string export_description(const CheckpointData& data, const std::string& dtype);

/// The JSON file name beside `output`: its .pt suffix replaced by .json (appended otherwise).
std::string export_json_path(const std::string& output);

}  // namespace iff::operators
