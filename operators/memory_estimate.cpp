#include "operators/memory_estimate.hpp"

#include <cmath>
#include <sstream>

namespace iff::operators {
namespace {

constexpr double kBase = 200e6;

/// Grid points the model's activations live on.
double points(const ModelSpec& s) {
  const double n = double(s.x.size()) * s.y.size() * s.z.size();
  if (s.is_ifactformer()) return n;
  return double(s.x.size()) * (s.y.size() + s.fno.pad_y) * s.z.size();
}

}  // namespace

double activation_values_per_point(const ModelSpec& s, bool training) {
  if (s.is_ifactformer()) {
    const auto& o = s.ifactformer;
    const bool m = s.kind == ModelKind::ifactformer_m;
    const double hd = double(o.heads) * o.dim_head;
    const double width = (o.dim + (m ? 3 : 1) * hd) / (96.0 + (m ? 3 : 1) * 480.0);
    const double layers = double(o.n_layer) * o.depth / 10.0;
    // measured at dim 96, heads 5, dim_head 96, n_layer 10 (values per point and sample):
    //   -m: evaluation 2550, checkpointed step 5290, plain step 7840
    //   -o: evaluation 5650, checkpointed step 9570, plain step 37400
    if (!training) return (m ? 2550.0 : 5650.0) * width;
    if (o.checkpoint_activations)  // the block inputs of every application, and one block's step
      return 960.0 * layers * (o.dim / 96.0) + ((m ? 5290.0 : 9570.0) - 960.0) * width;
    return (m ? 7840.0 : 37400.0) * width * layers;
  }
  const auto& o = s.fno;
  const double width = (double(o.width) * o.n_layer + o.projection) / (20.0 * 4 + 128);
  // measured at width 20, n_layer 4, projection 128: FNO 265 per point and sample for a
  // training step, IFNO 185 (one shared layer); an evaluation keeps about half
  const double step = (o.implicit ? 185.0 : 265.0) * width;
  return training ? step : 0.5 * step;
}

MemoryEstimate training_memory(const ModelSpec& s, int64_t parameters, int64_t samples, int bytes) {
  const double n = points(s), a = activation_values_per_point(s, true);
  const double io = 2.0 * samples * double(s.x.size()) * s.y.size() * s.z.size() * 3 * (s.in_time_window() + 1) * bytes;
  MemoryEstimate e;
  e.bytes = kBase + 5.0 * parameters * bytes + samples * n * a * bytes + io;
  std::ostringstream how;
  how << parameters << " parameters x 5 (weights, gradients, AdamW moments, all-reduce) and " << std::lround(a)
      << " activation values per point and sample for " << samples << " sample(s) per rank on " << std::lround(n)
      << " points, " << bytes << "-byte values, and 200 MB";
  e.how = how.str();
  return e;
}

MemoryEstimate evaluation_memory(const ModelSpec& s, int64_t parameters, int64_t samples, int bytes) {
  const double n = points(s), a = activation_values_per_point(s, false);
  MemoryEstimate e;
  e.bytes = kBase + double(parameters) * bytes + samples * n * a * bytes;
  std::ostringstream how;
  how << parameters << " parameters and " << std::lround(a) << " activation values per point and sample for " << samples
      << " sample(s) per call on " << std::lround(n) << " points, " << bytes << "-byte values, and 200 MB";
  e.how = how.str();
  return e;
}

}  // namespace iff::operators
