#include "operators/torch_info.hpp"

#include <torch/torch.h>
#include <torch/version.h>

#include <sstream>

namespace iff {

std::string torch_features() {
  std::ostringstream s;
  s << "libtorch " << TORCH_VERSION << " (devices: cpu";
  if (torch::cuda::is_available()) s << ", cuda x" << torch::cuda::device_count();
  s << "; intra-op threads " << at::get_num_threads() << ")";
  return s.str();
}

}  // namespace iff
