#include "operators/model_config.hpp"

namespace iff::operators {

ModelSpec model_spec_from(const ConfigSection& sec) {
  ModelSpec m;
  m.kind = sec.get_enum("kind", m.kind, kModelKindNames, "the operator: ifactformer-m (parallel factorized attention), ifactformer-o (chained), fno or ifno");
  const int64_t big = 1 << 20;
  // the documentation lists the keys of every kind
  if (m.is_ifactformer() || sec.documenting()) {
    auto& o = m.ifactformer;
    m.positions = sec.get_enum("positions", m.positions, kPositionsNames, "IFactFormer: coordinates of the positional features: reference (linspace(0, L, n) with the end point, in float32, as the published weights were trained) or grid (the series' node coordinates)");
    o.dim = sec.get_in<int64_t>("dim", o.dim, 2, big, "IFactFormer: channels of the latent field");
    o.heads = sec.get_in<int64_t>("heads", o.heads, 1, big, "IFactFormer: attention heads");
    o.dim_head = sec.get_in<int64_t>("dim_head", o.dim_head, 1, big, "IFactFormer: channels per head");
    o.kernel_multiplier = sec.get_in<int64_t>("kernel_multiplier", o.kernel_multiplier, 1, big, "IFactFormer: query/key width per head = dim_head * kernel_multiplier");
    o.n_layer = sec.get_in<int64_t>("n_layer", o.n_layer, 1, big, "IFactFormer: iterations of the shared block");
    o.depth = sec.get_in<int64_t>("depth", o.depth, 1, big, "IFactFormer: independent (positional features, block) pairs (reference: 1)");
    o.in_dim = sec.get_in<int64_t>("in_dim", o.in_dim, 3, 3, "IFactFormer: input channels per snapshot (the three velocity components)");
    o.out_dim = sec.get_in<int64_t>("out_dim", o.out_dim, 3, 3, "IFactFormer: output channels (the three velocity components)");
    o.in_time_window = sec.get_in<int64_t>("in_time_window", o.in_time_window, 1, 64, "snapshots in the input window");
    o.fourier_scale = sec.get_in<double>("fourier_scale", o.fourier_scale, 0.0, 1e6, "IFactFormer: standard deviation of the Gaussian Fourier feature matrix B of the positions");
    o.checkpoint_activations = sec.get<bool>("checkpoint_activations", o.checkpoint_activations, "IFactFormer: recompute each block's activations in the backward pass (less memory, more time)");
    o.factorization = m.kind == ModelKind::ifactformer_m ? attention::Factorization::parallel
                                                         : attention::Factorization::chained;
  }
  if (!m.is_ifactformer() || sec.documenting()) {
    auto& o = m.fno;
    o.modes_x = sec.get_in<int64_t>("modes_x", o.modes_x, 1, big, "FNO/IFNO: Fourier modes kept in x");
    o.modes_y = sec.get_in<int64_t>("modes_y", o.modes_y, 1, big, "FNO/IFNO: kept |ky| < modes_y, both signs, on the padded y grid");
    o.modes_z = sec.get_in<int64_t>("modes_z", o.modes_z, 1, big, "FNO/IFNO: Fourier modes kept in z");
    o.width = sec.get_in<int64_t>("width", o.width, 1, big, "FNO/IFNO: channels of the latent field");
    o.n_layer = sec.get_in<int64_t>("n_layer", o.n_layer, 1, big, "FNO/IFNO: Fourier layers (FNO) or implicit iterations of one shared layer (IFNO)");
    o.in_time_window = sec.get_in<int64_t>("in_time_window", o.in_time_window, 1, 64, "snapshots in the input window");
    o.pad_y = sec.get_in<int64_t>("pad_y", o.pad_y, 0, big, "FNO/IFNO: zero points appended in y before the spectral layers");
    o.projection = sec.get_in<int64_t>("projection", o.projection, 1, big, "FNO/IFNO: hidden width of the output projection");
    o.target = sec.get_enum("target", o.target, kTargetNames, "FNO/IFNO: what the model predicts: the next snapshot or its increment over the last input");
    o.implicit = m.kind == ModelKind::ifno;
  }
  return m;
}

}  // namespace iff::operators
