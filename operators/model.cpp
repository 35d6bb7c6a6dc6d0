#include "operators/model.hpp"

#include <cmath>
#include <sstream>

#include "io/error.hpp"

namespace iff::operators {

int64_t Model::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : module->parameters()) n += p.numel();
  return n;
}

Model make_model(const ModelSpec& spec) {
  Model m;
  m.spec = spec;
  if (spec.is_ifactformer()) {
    auto o = spec.ifactformer;
    o.factorization = spec.kind == ModelKind::ifactformer_m ? attention::Factorization::parallel
                                                            : attention::Factorization::chained;
    m.spec.ifactformer = o;
    IFF_REQUIRE(!spec.x.empty() && !spec.y.empty() && !spec.z.empty(), "model grid is empty");
    auto positions = make_positions(spec.positions, spec.x, spec.y, spec.z, spec.lx, spec.lz);
    if (spec.positions == Positions::reference) {
      // bit for bit what the reference feeds its model: torch.linspace(0, L, n) in float32
      auto f32 = [](double length, std::size_t n) {
        auto t = torch::linspace(0.0, length, static_cast<int64_t>(n), torch::kFloat32).to(torch::kFloat64);
        return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
      };
      positions = {f32(spec.lx, spec.x.size()), f32(2.0, spec.y.size()), f32(spec.lz, spec.z.size())};
    }
    IFactFormer net(o, positions);
    m.module = net.ptr();
    m.forward = [net](const torch::Tensor& u) mutable { return net->forward(u); };
  } else {
    auto o = spec.fno;
    o.implicit = spec.kind == ModelKind::ifno;
    m.spec.fno = o;
    Fno net(o);
    m.module = net.ptr();
    m.forward = [net](const torch::Tensor& u) mutable { return net->forward(u); };
  }
  return m;
}

}  // namespace iff::operators
