#include "operators/model_config.hpp"

namespace iff::operators {

ModelSpec model_spec_from(const ConfigSection& sec) {
  ModelSpec m;
  m.kind = model_kind_from_string(sec.get_choice("kind", "ifactformer-m", model_kind_names()));
  const int64_t big = 1 << 20;
  if (m.is_ifactformer()) {
    auto& o = m.ifactformer;
    m.positions = positions_from_string(sec.get_choice("positions", "reference", {"reference", "grid"}));
    o.dim = sec.get_in<int64_t>("dim", o.dim, 2, big);
    o.heads = sec.get_in<int64_t>("heads", o.heads, 1, big);
    o.dim_head = sec.get_in<int64_t>("dim_head", o.dim_head, 1, big);
    o.kernel_multiplier = sec.get_in<int64_t>("kernel_multiplier", o.kernel_multiplier, 1, big);
    o.n_layer = sec.get_in<int64_t>("n_layer", o.n_layer, 1, big);
    o.depth = sec.get_in<int64_t>("depth", o.depth, 1, big);
    o.in_dim = sec.get_in<int64_t>("in_dim", o.in_dim, 3, 3);
    o.out_dim = sec.get_in<int64_t>("out_dim", o.out_dim, 3, 3);
    o.in_time_window = sec.get_in<int64_t>("in_time_window", o.in_time_window, 1, 64);
    o.fourier_scale = sec.get_in<double>("fourier_scale", o.fourier_scale, 0.0, 1e6);
    o.checkpoint_activations = sec.get<bool>("checkpoint_activations", o.checkpoint_activations);
    o.factorization = m.kind == ModelKind::ifactformer_m ? attention::Factorization::parallel
                                                         : attention::Factorization::chained;
  } else {
    auto& o = m.fno;
    o.modes_x = sec.get_in<int64_t>("modes_x", o.modes_x, 1, big);
    o.modes_y = sec.get_in<int64_t>("modes_y", o.modes_y, 1, big);
    o.modes_z = sec.get_in<int64_t>("modes_z", o.modes_z, 1, big);
    o.width = sec.get_in<int64_t>("width", o.width, 1, big);
    o.n_layer = sec.get_in<int64_t>("n_layer", o.n_layer, 1, big);
    o.in_time_window = sec.get_in<int64_t>("in_time_window", o.in_time_window, 1, 64);
    o.pad_y = sec.get_in<int64_t>("pad_y", o.pad_y, 0, big);
    o.projection = sec.get_in<int64_t>("projection", o.projection, 1, big);
    o.target = target_from_string(sec.get_choice("target", "next", {"next", "increment"}));
    o.implicit = m.kind == ModelKind::ifno;
  }
  return m;
}

}  // namespace iff::operators
