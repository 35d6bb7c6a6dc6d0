#include "operators/checkpoint_info.hpp"

#include <sstream>

#include "operators/checkpoint.hpp"

namespace iff {

using operators::CheckpointData;
using operators::kCheckpointFormatVersion;

bool is_checkpoint(const std::string& path) {
  try {
    operators::read_checkpoint_data(path);
    return true;
  } catch (...) {
    return false;
  }
}

std::string describe_checkpoint(const std::string& path) {
  CheckpointData d;
  auto model = operators::load_model(path, &d);
  std::ostringstream s;
  s << path << ": ifactflow operator checkpoint (format " << kCheckpointFormatVersion << ")\n";
  s << "  model          : " << operators::to_string(d.spec.kind) << ", " << model.parameter_count() << " parameters\n";
  s << "  grid           : " << d.spec.x.size() << " x " << d.spec.y.size() << " x " << d.spec.z.size()
    << " (lx " << d.spec.lx << ", lz " << d.spec.lz << ")\n";
  s << "  hyper-parameters:\n";
  std::istringstream hyper(d.spec.hyper_text());
  for (std::string line; std::getline(hyper, line);) s << "    " << line << "\n";
  s << "  normalisation  :\n";
  std::istringstream norm(d.norm.text());
  for (std::string line; std::getline(norm, line);) s << "    " << line << "\n";
  s << "  training       : epoch " << d.progress.epoch;
  if (d.progress.batch > 0) s << " + " << d.progress.batch << " batch(es) of the next";
  s << ", step " << d.progress.step << ", best val loss "
    << d.progress.best_val_loss << (d.has_optimizer ? ", optimizer state stored" : ", no optimizer state") << "\n";
  s << "  provenance     : " << d.provenance << "\n";
  return s.str();
}

}  // namespace iff
