#include "operators/export.hpp"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/json.hpp"
#include "operators/checkpoint.hpp"
#include "operators/state_dict_import.hpp"

namespace iff::operators {

namespace {

/// A value of hyper_text() as JSON: numbers and booleans as such, anything else a string.
std::string json_value(const std::string& v) {
  if (v == "true" || v == "false") return v;
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (!v.empty() && end == v.c_str() + v.size() && std::isfinite(d)) return v;
  return json_string(v);
}

std::string json_list(const std::vector<double>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += fmt::format("{}{:.17g}", i ? ", " : "", v[i]);
  return s + "]";
}

}  // namespace

std::string export_json_path(const std::string& output) {
  const std::filesystem::path p(output);
  return p.extension() == ".pt" ? std::filesystem::path(p).replace_extension(".json").string() : output + ".json";
}

std::string export_description(const CheckpointData& d, const std::string& dtype) {
  std::string hyper;
  std::istringstream in(d.spec.hyper_text());
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(": ");
    if (colon == std::string::npos || line.substr(0, colon) == "kind") continue;
    hyper += fmt::format("{}    {}: {}", hyper.empty() ? "" : ",\n", json_string(line.substr(0, colon)),
                         json_value(line.substr(colon + 2)));
  }
  const auto& n = d.norm;
  std::string s = "{\n";
  s += "  \"format\": \"ifactflow-export\",\n  \"format_version\": 1,\n";
  s += fmt::format("  \"model\": {},\n", json_string(to_string(d.spec.kind)));
  s += "  \"hyper_parameters\": {\n" + hyper + "\n  },\n";
  s += fmt::format("  \"grid\": {{\"nx\": {}, \"ny\": {}, \"nz\": {}, \"lx\": {:.17g}, \"lz\": {:.17g}}},\n",
                   d.spec.x.size(), d.spec.y.size(), d.spec.z.size(), d.spec.lx, d.spec.lz);
  s += fmt::format("  \"positions\": {},\n", json_string(d.spec.is_ifactformer() ? kPositionsNames.name(d.spec.positions) : "none"));
  s += fmt::format(
      "  \"normalization\": {{\"in_mean\": {}, \"in_std\": {}, \"out_mean\": {}, \"out_std\": {}, \"components\": "
      "[\"u\", \"v\", \"w\"]}},\n",
      json_list(n.in_mean), json_list(n.in_std), json_list(n.out_mean), json_list(n.out_std));
  s += fmt::format("  \"dtype\": {},\n", json_string(dtype));
  s += fmt::format("  \"training\": {{\"epoch\": {}, \"step\": {}, \"best_val_loss\": {}}},\n", d.progress.epoch,
                   d.progress.step,
                   std::isfinite(d.progress.best_val_loss) ? fmt::format("{:.17g}", d.progress.best_val_loss)
                                                           : std::string("null"));
  s += fmt::format("  \"provenance\": {}\n}}\n", json_string(d.provenance));
  return s;
}

ExportResult export_checkpoint(const std::string& checkpoint, const std::string& output) {
  std::error_code ec;
  IFF_REQUIRE(!std::filesystem::is_directory(output, ec), "export: -o " << output << " is a directory");
  require_writable_parent(output);
  CheckpointData data;
  const Model model = load_model(checkpoint, &data);
  const StateDict sd = state_dict(*model.module);
  ExportResult r;
  r.state_dict = output;
  r.json = export_json_path(output);
  r.tensors = static_cast<long>(sd.size());
  for (const auto& [name, t] : sd) r.parameters += t.numel();
  const auto dtype = sd.empty() ? torch::kFloat32 : sd.begin()->second.scalar_type();
  save_state_dict_file(sd, output);
  write_text_atomic(r.json, export_description(data, dtype == torch::kFloat64 ? "float64" : "float32"));
  return r;
}

}  // namespace iff::operators
