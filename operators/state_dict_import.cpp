#include "operators/state_dict_import.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "operators/checkpoint.hpp"
#include "operators/convert.hpp"
#include "operators/state_dict_pickle.hpp"

namespace iff::operators {

StateDict state_dict(const torch::nn::Module& m) {
  StateDict sd;
  for (const auto& p : m.named_parameters(/*recurse=*/true)) sd[p.key()] = p.value();
  for (const auto& b : m.named_buffers(/*recurse=*/true)) sd[b.key()] = b.value();
  return sd;
}

StateDict load_state_dict_file(const std::string& path) {
  const c10::IValue value = read_torch_save_file(path);
  IFF_CHECK_AS(InputError, value.isGenericDict(),
               path << " does not hold a dict of tensors (save it with torch.save(model.state_dict(), f))");
  StateDict sd;
  for (const auto& entry : value.toGenericDict()) {
    IFF_CHECK_AS(InputError, entry.key().isString(), path << ": a key of the state_dict is not a name");
    IFF_CHECK_AS(InputError, entry.value().isTensor(),
                 path << ": entry '" << entry.key().toStringRef() << "' of the state_dict is not a tensor");
    sd[entry.key().toStringRef()] = entry.value().toTensor();
  }
  return sd;
}

void save_state_dict_file(const StateDict& sd, const std::string& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [k, v] : sd) dict.insert(k, v.detach().cpu().contiguous());
  auto bytes = torch::pickle_save(c10::IValue(dict));
  write_bytes_atomic(path, bytes.data(), bytes.size());
}

void load_state_dict(torch::nn::Module& m, const StateDict& sd, const std::string& origin) {
  auto own = state_dict(m);
  for (const auto& [name, t] : own) {
    auto it = sd.find(name);
    IFF_CHECK_AS(InputError, it != sd.end(), origin << ": missing tensor '" << name << "' (shape " << t.sizes() << ")");
    IFF_CHECK_AS(InputError, it->second.sizes() == t.sizes(),
                 origin << ": tensor '" << name << "' has shape " << it->second.sizes() << ", the model expects "
                        << t.sizes());
    IFF_CHECK_AS(InputError, it->second.is_floating_point(),
                 origin << ": tensor '" << name << "' is not floating point (" << it->second.scalar_type() << ")");
    const auto bad = torch::logical_not(torch::isfinite(it->second)).flatten();
    const int64_t n_bad = bad.sum().item<int64_t>();
    IFF_CHECK_AS(InputError, n_bad == 0,
                 origin << ": tensor '" << name << "' holds " << n_bad << " non-finite value(s) of " << bad.numel()
                        << " (the first at flat index " << (n_bad ? bad.nonzero()[0].item<int64_t>() : 0) << ")");
  }
  for (const auto& [name, t] : sd)
    IFF_CHECK_AS(InputError, own.count(name), origin << ": unexpected tensor '" << name << "' (shape " << t.sizes() << ")");
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : own) t.copy_(sd.at(name));
}

}  // namespace iff::operators

namespace iff::operators {

int64_t convert_reference_weights(const ConvertRequest& r, bool write) {
  auto model = make_model(r.spec);
  const StateDict sd = load_state_dict_file(r.state_dict);
  for (const auto& [name, t] : sd)  // keep the file's precision (float32 or float64)
    if (t.is_floating_point()) {
      model.module->to(t.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32);
      break;
    }
  load_state_dict(*model.module, sd, r.state_dict);
  CheckpointData data;
  data.spec = model.spec;
  data.norm = r.norm_file.empty() ? Normalization::identity() : Normalization::from_text_file(r.norm_file);
  data.provenance = r.provenance;
  data.config = r.config;
  if (write) save_checkpoint(r.output, model, data);
  return model.parameter_count();
}

}  // namespace iff::operators
