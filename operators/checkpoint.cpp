#include "operators/checkpoint.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <sstream>

#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "operators/state_dict_import.hpp"

namespace iff::operators {

namespace {

torch::Tensor vec(const std::vector<double>& v) { return torch::tensor(v, torch::kFloat64); }
std::vector<double> unvec(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

torch::serialize::InputArchive open_archive(const std::string& path) {
  torch::serialize::InputArchive in;
  try {
    in.load_from(path);
  } catch (const std::exception& e) {
    throw InputError("cannot read " + path + " as an operator checkpoint");
  }
  c10::IValue format;
  IFF_CHECK_AS(InputError, in.try_read("format", format) && format.isString() && format.toStringRef() == kCheckpointFormat,
               path << " is not an ifactflow operator checkpoint");
  return in;
}

std::string read_string(torch::serialize::InputArchive& in, const std::string& key) {
  c10::IValue v;
  IFF_CHECK_AS(InputError, in.try_read(key, v) && v.isString(), "checkpoint lacks '" << key << "'");
  return v.toStringRef();
}
torch::Tensor read_tensor(torch::serialize::InputArchive& in, const std::string& key) {
  torch::Tensor t;
  IFF_CHECK_AS(InputError, in.try_read(key, t), "checkpoint lacks '" << key << "'");
  return t;
}

}  // namespace

void save_checkpoint(const std::string& path, const Model& model, const CheckpointData& d,
                     const torch::optim::Optimizer* optimizer) {
  torch::serialize::OutputArchive out;
  out.write("format", c10::IValue(std::string(kCheckpointFormat)));
  out.write("format_version", c10::IValue(kCheckpointFormatVersion));
  out.write("model_hyper", c10::IValue(model.spec.hyper_text()));
  out.write("model_grid_x", vec(model.spec.x));
  out.write("model_grid_y", vec(model.spec.y));
  out.write("model_grid_z", vec(model.spec.z));
  out.write("model_box", vec({model.spec.lx, model.spec.lz}));
  c10::Dict<std::string, torch::Tensor> weights;
  for (const auto& [name, t] : state_dict(*model.module)) weights.insert(name, t.detach().cpu().contiguous());
  out.write("model_weights", c10::IValue(weights));
  out.write("norm_in_mean", vec(d.norm.in_mean));
  out.write("norm_in_std", vec(d.norm.in_std));
  out.write("norm_out_mean", vec(d.norm.out_mean));
  out.write("norm_out_std", vec(d.norm.out_std));
  out.write("train_epoch", c10::IValue(d.progress.epoch));
  out.write("train_step", c10::IValue(d.progress.step));
  out.write("train_best_val_loss", c10::IValue(d.progress.best_val_loss));
  out.write("train_batch", c10::IValue(d.progress.batch));
  out.write("train_epoch_loss_sum", c10::IValue(d.progress.epoch_loss_sum));
  out.write("train_epoch_samples", c10::IValue(d.progress.epoch_samples));
  out.write("train_batch_size", c10::IValue(d.progress.batch_size));
  out.write("train_seed", c10::IValue(d.progress.seed));
  out.write("train_rng", at::detail::getDefaultCPUGenerator().get_state());
  if (optimizer) {
    torch::serialize::OutputArchive opt;
    optimizer->save(opt);
    out.write("train_optimizer", opt);
  }
  out.write("provenance", c10::IValue(d.provenance));
  out.write("config", c10::IValue(d.config));
  // libtorch's file writer throws from its destructor when a write fails (a full disk ended
  // the process in std::terminate): the archive is made in memory, then written and checked
  std::string bytes;
  out.save_to([&bytes](const void* data, size_t n) {
    bytes.append(static_cast<const char*>(data), n);
    return n;
  });
  write_bytes_atomic(path, bytes.data(), bytes.size());
}

CheckpointData read_checkpoint_data(const std::string& path) {
  auto in = open_archive(path);
  CheckpointData d;
  d.spec = ModelSpec::from_hyper_text(read_string(in, "model_hyper"));
  d.spec.x = unvec(read_tensor(in, "model_grid_x"));
  d.spec.y = unvec(read_tensor(in, "model_grid_y"));
  d.spec.z = unvec(read_tensor(in, "model_grid_z"));
  auto box = unvec(read_tensor(in, "model_box"));
  d.spec.lx = box.at(0);
  d.spec.lz = box.at(1);
  d.norm.in_mean = unvec(read_tensor(in, "norm_in_mean"));
  d.norm.in_std = unvec(read_tensor(in, "norm_in_std"));
  d.norm.out_mean = unvec(read_tensor(in, "norm_out_mean"));
  d.norm.out_std = unvec(read_tensor(in, "norm_out_std"));
  c10::IValue v;
  if (in.try_read("train_epoch", v)) d.progress.epoch = v.toInt();
  if (in.try_read("train_step", v)) d.progress.step = v.toInt();
  if (in.try_read("train_best_val_loss", v)) d.progress.best_val_loss = v.toDouble();
  if (in.try_read("train_batch", v)) d.progress.batch = v.toInt();  // absent before mid-epoch checkpoints
  if (in.try_read("train_epoch_loss_sum", v)) d.progress.epoch_loss_sum = v.toDouble();
  if (in.try_read("train_epoch_samples", v)) d.progress.epoch_samples = v.toDouble();
  if (in.try_read("train_batch_size", v)) d.progress.batch_size = v.toInt();
  if (in.try_read("train_seed", v)) d.progress.seed = v.toInt();
  torch::serialize::InputArchive opt;
  d.has_optimizer = in.try_read("train_optimizer", opt);
  d.provenance = read_string(in, "provenance");
  d.config = read_string(in, "config");
  return d;
}

Model load_model(const std::string& path, CheckpointData* data) {
  auto d = read_checkpoint_data(path);
  auto model = make_model(d.spec);
  auto in = open_archive(path);
  c10::IValue weights;
  IFF_CHECK_AS(InputError, in.try_read("model_weights", weights) && weights.isGenericDict(),
               path << ": checkpoint lacks the model weights");
  StateDict sd;
  for (const auto& e : weights.toGenericDict()) sd[e.key().toStringRef()] = e.value().toTensor();
  for (const auto& [name, t] : sd)  // keep the stored precision (float32 or float64)
    if (t.is_floating_point()) {
      model.module->to(t.scalar_type());
      break;
    }
  load_state_dict(*model.module, sd, path);
  if (data) *data = d;
  return model;
}

void load_training_state(const std::string& path, torch::optim::Optimizer& optimizer) {
  auto in = open_archive(path);
  torch::serialize::InputArchive opt;
  IFF_CHECK_AS(InputError, in.try_read("train_optimizer", opt), path << ": checkpoint holds no optimizer state");
  optimizer.load(opt);
  torch::Tensor rng;
  if (in.try_read("train_rng", rng)) {
    auto gen = at::detail::getDefaultCPUGenerator();
    gen.set_state(rng);
  }
}

}  // namespace iff::operators
