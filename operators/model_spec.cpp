#include "operators/model_spec.hpp"

#include <cmath>
#include <map>
#include <sstream>

#include "io/error.hpp"

namespace iff::operators {

AxisCoordinates make_positions(Positions convention, const std::vector<double>& x, const std::vector<double>& y,
                               const std::vector<double>& z, double lx, double lz) {
  if (convention == Positions::grid) return {x, y, z};
  auto linspace = [](double length, std::size_t n) {
    std::vector<double> p(n, 0.0);
    for (std::size_t i = 0; i < n && n > 1; ++i) p[i] = length * static_cast<double>(i) / static_cast<double>(n - 1);
    return p;
  };
  IFF_REQUIRE(lx > 0 && lz > 0, "reference positions need the box lengths lx, lz > 0, got " << lx << ", " << lz);
  return {linspace(lx, x.size()), linspace(2.0, y.size()), linspace(lz, z.size())};
}

int64_t ModelSpec::in_time_window() const {
  return is_ifactformer() ? ifactformer.in_time_window : fno.in_time_window;
}

std::string ModelSpec::hyper_text() const {
  std::ostringstream s;
  s.precision(17);
  s << "kind: " << kModelKindNames.name(kind) << "\n";
  if (is_ifactformer()) {
    const auto& o = ifactformer;
    s << "positions: " << kPositionsNames.name(positions) << "\n"
      << "dim: " << o.dim << "\nheads: " << o.heads << "\ndim_head: " << o.dim_head
      << "\nkernel_multiplier: " << o.kernel_multiplier << "\nn_layer: " << o.n_layer << "\ndepth: " << o.depth
      << "\nin_dim: " << o.in_dim << "\nout_dim: " << o.out_dim << "\nin_time_window: " << o.in_time_window
      << "\nfourier_scale: " << o.fourier_scale
      << "\ncheckpoint_activations: " << (o.checkpoint_activations ? "true" : "false") << "\n";
  } else {
    const auto& o = fno;
    s << "modes_x: " << o.modes_x << "\nmodes_y: " << o.modes_y << "\nmodes_z: " << o.modes_z
      << "\nwidth: " << o.width << "\nn_layer: " << o.n_layer << "\nin_time_window: " << o.in_time_window
      << "\npad_y: " << o.pad_y << "\nprojection: " << o.projection << "\ntarget: " << kTargetNames.name(o.target) << "\n";
  }
  return s.str();
}

ModelSpec ModelSpec::from_hyper_text(const std::string& text) {
  std::map<std::string, std::string> kv;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    kv[line.substr(0, colon)] = line.substr(colon + 2);
  }
  auto get = [&](const std::string& k) {
    auto it = kv.find(k);
    IFF_CHECK_AS(InputError, it != kv.end(), "model description lacks '" << k << "'");
    return it->second;
  };
  auto geti = [&](const std::string& k) { return std::stoll(get(k)); };
  ModelSpec m;
  m.kind = kModelKindNames.parse_or_throw(get("kind"), "model kind");
  if (m.is_ifactformer()) {
    auto& o = m.ifactformer;
    m.positions = kPositionsNames.parse_or_throw(get("positions"), "positions convention");
    o.dim = geti("dim");
    o.heads = geti("heads");
    o.dim_head = geti("dim_head");
    o.kernel_multiplier = geti("kernel_multiplier");
    o.n_layer = geti("n_layer");
    o.depth = geti("depth");
    o.in_dim = geti("in_dim");
    o.out_dim = geti("out_dim");
    o.in_time_window = geti("in_time_window");
    o.fourier_scale = std::stod(get("fourier_scale"));
    o.checkpoint_activations = get("checkpoint_activations") == "true";
    o.factorization = m.kind == ModelKind::ifactformer_m ? attention::Factorization::parallel
                                                         : attention::Factorization::chained;
  } else {
    auto& o = m.fno;
    o.modes_x = geti("modes_x");
    o.modes_y = geti("modes_y");
    o.modes_z = geti("modes_z");
    o.width = geti("width");
    o.n_layer = geti("n_layer");
    o.in_time_window = geti("in_time_window");
    o.pad_y = geti("pad_y");
    o.projection = geti("projection");
    o.target = kTargetNames.parse_or_throw(get("target"), "target");
    o.implicit = m.kind == ModelKind::ifno;
  }
  return m;
}

std::vector<double> ModelSpec::periodic_axis(int n, double length) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = length * i / n;
  return v;
}

std::vector<double> ModelSpec::chebyshev_axis(int n) {
  std::vector<double> v(n);
  for (int j = 0; j < n; ++j) v[j] = n > 1 ? std::cos(M_PI * j / (n - 1)) : 0.0;
  return v;
}

}  // namespace iff::operators
