// Checkpoints and reference state_dict import: round trips are exact, and a state_dict with
// a wrong shape, a missing or an extra tensor, or a NaN is rejected naming the tensor; a full
// disk is one error line and leaves no checkpoint under its name. The files are written by
// PyTorch itself (/usr/bin/python3, the same torch 1.13), the ways users save them:
// torch.save(model.state_dict(), f) (an OrderedDict with _metadata), torch.save(dict(...), f),
// and one-entry dicts (pickled with SETITEM instead of SETITEMS). The train command: a
// divergence stops it with the last good checkpoint named, SIGTERM with exit 75, and both
// resume.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "io/error.hpp"
#include "io/series.hpp"
#include "operators/checkpoint.hpp"
#include "operators/checkpoint_info.hpp"
#include "operators/state_dict_import.hpp"
#include "tests/support/full_disk.hpp"
#include "tests/support/test_support.hpp"
#include "tests/support/torch_test_helpers.hpp"

namespace ops = iff::operators;

namespace {

ops::ModelSpec tiny(ops::ModelKind kind) {
  ops::ModelSpec s;
  s.kind = kind;
  s.x = ops::ModelSpec::periodic_axis(4, 4 * M_PI);
  s.y = ops::ModelSpec::chebyshev_axis(5);
  s.z = ops::ModelSpec::periodic_axis(4, 4 * M_PI / 3);
  s.lx = 4 * M_PI;
  s.lz = 4 * M_PI / 3;
  s.ifactformer.dim = 12;
  s.ifactformer.heads = 2;
  s.ifactformer.dim_head = 6;
  s.ifactformer.n_layer = 2;
  s.fno.modes_x = s.fno.modes_y = s.fno.modes_z = 2;
  s.fno.width = 4;
  return s;
}

/// Runs PyTorch once: for each (dst, edit), `sd` is the state_dict read from `src`, `edit`
/// changes it, and it is saved to `dst` as a plain dict, or, when the edit sets
/// style = 'module', as nn.Module.state_dict() returns it: an OrderedDict with _metadata.
void python_rewrite(const std::string& dir, const std::string& src,
                    const std::vector<std::pair<std::string, std::string>>& edits) {
  const std::string script = dir + "/edit.py";
  {
    std::ofstream py(script);
    py << "import collections\nimport torch\n"
          "def save(sd, style, f):\n"
          "    if style == 'module':\n"
          "        od = collections.OrderedDict(sd)\n"
          "        od._metadata = collections.OrderedDict([('', {'version': 1}), ('encoder', {'version': 1})])\n"
          "        torch.save(od, f)\n"
          "    else:\n"
          "        torch.save(dict(sd), f)\n";
    for (const auto& [dst, edit] : edits)
      py << "sd = dict(torch.load('" << src << "'))\nstyle = 'dict'\n" << edit << "\nsave(sd, style, '" << dst
         << "')\n";
  }
  std::string out;
  ASSERT_EQ(iff::test::run(std::string(IFF_PYTHON3) + " " + script, &out), 0) << out;
}

bool identical(const ops::StateDict& a, const ops::StateDict& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a)
    if (!b.count(k) || !torch::equal(v.to(torch::kFloat32), b.at(k).to(torch::kFloat32))) return false;
  return true;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const iff::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(StateDictImport, RoundTripThroughPyTorchIsExact) {
  const auto dir = iff::test::temp_dir("sd_roundtrip");
  for (auto kind : {ops::ModelKind::ifactformer_m, ops::ModelKind::ifactformer_o, ops::ModelKind::fno, ops::ModelKind::ifno}) {
    torch::manual_seed(1);
    auto source = ops::make_model(tiny(kind));
    ops::save_state_dict_file(ops::state_dict(*source.module), dir + "/export.pt");
    python_rewrite(dir, dir + "/export.pt",
                   {{dir + "/user.pt", ""},
                    {dir + "/user64.pt", "sd = {k: v.double() for k, v in sd.items()}"},
                    {dir + "/module.pt", "style = 'module'"}});
    torch::manual_seed(2);
    auto target = ops::make_model(tiny(kind));
    ASSERT_FALSE(identical(ops::state_dict(*source.module), ops::state_dict(*target.module)));
    ops::load_state_dict(*target.module, ops::load_state_dict_file(dir + "/user.pt"), "user.pt");
    EXPECT_TRUE(identical(ops::state_dict(*source.module), ops::state_dict(*target.module))) << ops::to_string(kind);
    torch::manual_seed(3);
    auto target64 = ops::make_model(tiny(kind));
    ops::load_state_dict(*target64.module, ops::load_state_dict_file(dir + "/user64.pt"), "user64.pt");
    EXPECT_TRUE(identical(ops::state_dict(*source.module), ops::state_dict(*target64.module))) << ops::to_string(kind);
    torch::manual_seed(4);
    auto from_module = ops::make_model(tiny(kind));
    ops::load_state_dict(*from_module.module, ops::load_state_dict_file(dir + "/module.pt"), "module.pt");
    EXPECT_TRUE(identical(ops::state_dict(*source.module), ops::state_dict(*from_module.module)))
        << ops::to_string(kind);
    auto u = torch::randn({1, 4, 5, 4, 3});
    EXPECT_TRUE(torch::equal(source(u), target(u)));
  }
}

TEST(StateDictImport, RejectsWrongShapeMissingAndExtraTensorsByName) {
  const auto dir = iff::test::temp_dir("sd_errors");
  torch::manual_seed(1);
  auto m = ops::make_model(tiny(ops::ModelKind::ifactformer_m));
  ops::save_state_dict_file(ops::state_dict(*m.module), dir + "/export.pt");
  const std::string name = "encoder.layers.0.1.low_rank_kernel_y.to_q.weight";
  python_rewrite(dir, dir + "/export.pt",
                 {{dir + "/shape.pt", "sd['" + name + "'] = sd['" + name + "'][:, :-1].clone()"},
                  {dir + "/missing.pt", "del sd['encoder.layers.0.1.to_z.1.out_ffn.norm.bias']"},
                  {dir + "/extra.pt", "sd['encoder.layers.0.1.gamma'] = torch.zeros(1)"}});
  auto before = ops::state_dict(*m.module);
  auto load = [&](const std::string& f) { return [&, f] { ops::load_state_dict(*m.module, ops::load_state_dict_file(dir + f), f); }; };
  EXPECT_NE(error_of(load("/shape.pt")).find(name), std::string::npos) << error_of(load("/shape.pt"));
  EXPECT_NE(error_of(load("/missing.pt")).find("missing tensor 'encoder.layers.0.1.to_z.1.out_ffn.norm.bias'"), std::string::npos);
  EXPECT_NE(error_of(load("/extra.pt")).find("unexpected tensor 'encoder.layers.0.1.gamma'"), std::string::npos);
  std::ofstream(dir + "/junk.pt") << "not a pickle";
  EXPECT_NE(error_of(load("/junk.pt")).find("junk.pt"), std::string::npos);
  EXPECT_TRUE(identical(before, ops::state_dict(*m.module)));  // nothing changed by a rejected import
}

// What torch.save writes for real modules and dicts, read without Python: an
// nn.Module.state_dict() (an OrderedDict whose tensors' backward hooks are OrderedDicts
// too, with nested _metadata), the same as a plain dict, and a one-entry dict (SETITEM).
TEST(StateDictPickle, ReadsModuleStateDictsPlainAndOneEntryDicts) {
  const auto dir = iff::test::temp_dir("sd_pickle");
  {
    std::ofstream py(dir + "/save.py");
    py << "import torch\n"
          "torch.manual_seed(0)\n"
          "m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4), torch.nn.Linear(4, 1, bias=False))\n"
          "sd = m.state_dict()\n"
          "assert type(sd).__name__ == 'OrderedDict' and hasattr(sd, '_metadata')\n"
          "torch.save(sd, '" << dir << "/module.pt')\n"
          "torch.save({k: v.double() for k, v in sd.items()}, '" << dir << "/plain64.pt')\n"
          "torch.save({'w': sd['0.weight']}, '" << dir << "/one.pt')\n"
          "torch.save(torch.nn.Linear(2, 1, bias=False).state_dict(), '" << dir << "/one_module.pt')\n"
          "torch.save([sd['0.weight'], sd['0.bias']], '" << dir << "/list.pt')\n"
          "with open('" << dir << "/values.txt', 'w') as f:\n"
          "    for k, v in sd.items():\n"
          "        f.write(k + ' ' + ' '.join(repr(x) for x in v.double().flatten().tolist()) + '\\n')\n";
  }
  std::string out;
  ASSERT_EQ(iff::test::run(std::string(IFF_PYTHON3) + " " + dir + "/save.py", &out), 0) << out;
  std::map<std::string, std::vector<double>> values;
  {
    std::ifstream f(dir + "/values.txt");
    std::string line;
    while (std::getline(f, line)) {
      std::istringstream in(line);
      std::string key;
      in >> key;
      double x;
      while (in >> x) values[key].push_back(x);
    }
  }
  ASSERT_EQ(values.size(), 5u);
  for (const std::string file : {"module.pt", "plain64.pt"}) {
    const auto sd = ops::load_state_dict_file(dir + "/" + file);
    ASSERT_EQ(sd.size(), values.size()) << file;
    for (const auto& [k, v] : values) {
      ASSERT_TRUE(sd.count(k)) << file << " lacks " << k;
      const auto t = sd.at(k).to(torch::kFloat64).contiguous().view(-1);
      ASSERT_EQ(t.numel(), static_cast<int64_t>(v.size())) << k;
      for (std::size_t i = 0; i < v.size(); ++i) EXPECT_EQ(t[i].item<double>(), v[i]) << file << " " << k << "[" << i << "]";
    }
  }
  const auto one = ops::load_state_dict_file(dir + "/one.pt");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one.at("w").sizes(), (std::vector<int64_t>{4, 3}));
  const auto one_module = ops::load_state_dict_file(dir + "/one_module.pt");
  ASSERT_EQ(one_module.size(), 1u);
  EXPECT_EQ(one_module.at("weight").sizes(), (std::vector<int64_t>{1, 2}));
  EXPECT_NE(error_of([&] { ops::load_state_dict_file(dir + "/list.pt"); }).find("does not hold a dict of tensors"),
            std::string::npos);
}

TEST(Checkpoint, RoundTripAndDescription) {
  const auto dir = iff::test::temp_dir("ckpt");
  for (auto kind : {ops::ModelKind::ifactformer_m, ops::ModelKind::ifno}) {
    torch::manual_seed(4);
    auto spec = tiny(kind);
    spec.positions = ops::Positions::grid;
    auto m = ops::make_model(spec);
    ops::CheckpointData d;
    d.spec = m.spec;
    d.norm = ops::Normalization::identity();
    d.norm.in_mean = {0.5, -0.25, 1e-3};
    d.norm.out_std = {2.0, 3.0, 4.0};
    d.progress.epoch = 3;
    d.progress.step = 17;
    d.progress.best_val_loss = 0.125;
    d.provenance = "unit test";
    d.config = "model:\n  kind: x\n";
    torch::optim::AdamW opt(m.module->parameters(), torch::optim::AdamWOptions(1e-3));
    const std::string path = dir + "/m.ckpt";
    ops::save_checkpoint(path, m, d, &opt);
    EXPECT_TRUE(iff::is_checkpoint(path));
    ops::CheckpointData r;
    auto back = ops::load_model(path, &r);
    EXPECT_TRUE(identical(ops::state_dict(*m.module), ops::state_dict(*back.module)));
    EXPECT_EQ(r.spec.hyper_text(), m.spec.hyper_text());
    EXPECT_EQ(r.spec.x, m.spec.x);
    EXPECT_EQ(r.spec.y, m.spec.y);
    EXPECT_EQ(r.norm.in_mean, d.norm.in_mean);
    EXPECT_EQ(r.norm.out_std, d.norm.out_std);
    EXPECT_EQ(r.progress.step, 17);
    EXPECT_EQ(r.progress.best_val_loss, 0.125);
    EXPECT_EQ(r.provenance, "unit test");
    EXPECT_TRUE(r.has_optimizer);
    auto text = iff::describe_checkpoint(path);
    EXPECT_NE(text.find(ops::to_string(kind)), std::string::npos) << text;
    EXPECT_NE(text.find(std::to_string(m.parameter_count()) + " parameters"), std::string::npos) << text;
  }
  std::ofstream(dir + "/plain.txt") << "hello";
  EXPECT_FALSE(iff::is_checkpoint(dir + "/plain.txt"));
  EXPECT_FALSE(iff::is_checkpoint(dir + "/absent.ckpt"));
  EXPECT_THROW(iff::describe_checkpoint(dir + "/plain.txt"), iff::InputError);
}

// `ifactflow convert` itself: a state_dict saved by PyTorch becomes a checkpoint with the
// same weights, the model's hyper-parameters from --set, the grid and lengths it was given and
// the normalisation file; `ifactflow info` describes it; a rejected file exits non-zero with
// one error line naming the tensor and writes no checkpoint.
TEST(ConvertCommand, ImportsAPyTorchStateDictAndRejectsBadOnesByName) {
  const auto dir = iff::test::temp_dir("convert_cli");
  torch::manual_seed(5);
  auto spec = tiny(ops::ModelKind::ifactformer_m);
  auto source = ops::make_model(spec);
  ops::save_state_dict_file(ops::state_dict(*source.module), dir + "/export.pt");
  const std::string name = "encoder.layers.0.1.to_out.2.weight";
  python_rewrite(dir, dir + "/export.pt",
                 {{dir + "/user.pt", "sd = {k: v.double() for k, v in sd.items()}\nstyle = 'module'"},
                  {dir + "/shape.pt", "sd['" + name + "'] = sd['" + name + "'][:-1].clone()"},
                  {dir + "/missing.pt", "del sd['simple_to_out.3.bias']"}});
  std::ofstream(dir + "/norm.txt") << "in_mean: 0.5 0 -0.5\nin_std: 1 2 3\nout_mean: 0 0 0\nout_std: 4 5 6\n";
  const std::string sets = " --set model.dim=12 --set model.heads=2 --set model.dim_head=6 --set model.n_layer=2"
                           " --set model.grid=4x5x4";
  std::string out;
  const auto exe = iff::test::exe();
  ASSERT_EQ(iff::test::run(exe + " convert " + dir + "/user.pt --model ifactformer-m" + sets + " --norm " + dir +
                               "/norm.txt -o " + dir + "/model.ckpt",
                           &out),
            0)
      << out;
  // the grid and the normalisation were given, the box was not: one warning, naming it
  EXPECT_EQ(out.find("no model.grid"), std::string::npos) << out;
  EXPECT_EQ(out.find("no --norm"), std::string::npos) << out;
  EXPECT_NE(out.find("warning convert: no model.lx/model.lz given: a box of 12.5664 x 2 x 4.18879 assumed"),
            std::string::npos)
      << out;
  {  // nothing given: a warning for each default
    std::string plain;
    ASSERT_EQ(iff::test::run(exe + " convert " + dir + "/user.pt --model ifactformer-m --set model.dim=12 --set "
                                 "model.heads=2 --set model.dim_head=6 --set model.n_layer=2 -o " + dir + "/plain.ckpt",
                             &plain),
              0)
        << plain;
    EXPECT_NE(plain.find("warning convert: no model.grid given: 32x33x16 assumed"), std::string::npos) << plain;
    EXPECT_NE(plain.find("warning convert: no --norm given: identity normalisation"), std::string::npos) << plain;
    std::string with_box;
    ASSERT_EQ(iff::test::run(exe + " convert " + dir + "/user.pt --model ifactformer-m" + sets +
                                 " --set model.lx=3.14159 --set model.lz=1 --norm " + dir + "/norm.txt -o " + dir +
                                 "/boxed.ckpt",
                             &with_box),
              0)
        << with_box;
    EXPECT_EQ(with_box.find("warning"), std::string::npos) << with_box;
  }
  ops::CheckpointData data;
  auto target = ops::load_model(dir + "/model.ckpt", &data);
  EXPECT_TRUE(identical(ops::state_dict(*source.module), ops::state_dict(*target.module)));
  EXPECT_EQ(data.spec.ifactformer.dim, 12);
  EXPECT_EQ(data.spec.x.size(), 4u);
  EXPECT_EQ(data.spec.y.size(), 5u);
  EXPECT_NEAR(data.spec.lx, 4 * M_PI, 1e-12);
  EXPECT_EQ(data.norm.out_std, (std::vector<double>{4, 5, 6}));
  EXPECT_NE(data.provenance.find("ifactflow convert"), std::string::npos);
  ASSERT_EQ(iff::test::run(exe + " info " + dir + "/model.ckpt", &out), 0) << out;
  EXPECT_NE(out.find("ifactformer-m"), std::string::npos) << out;
  EXPECT_NE(out.find(std::to_string(source.parameter_count())), std::string::npos) << out;

  for (const auto& [file, needle] : std::vector<std::pair<std::string, std::string>>{
           {"shape.pt", name}, {"missing.pt", "missing tensor 'simple_to_out.3.bias'"}}) {
    const std::string ckpt = dir + "/bad_" + file + ".ckpt";
    EXPECT_NE(iff::test::run(exe + " convert " + dir + "/" + file + " --model ifactformer-m" + sets + " -o " + ckpt, &out), 0);
    EXPECT_NE(out.find(needle), std::string::npos) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_FALSE(std::filesystem::exists(ckpt)) << ckpt;
  }
  // a hyper-parameter that does not match the weights: the first tensor it changes is named
  EXPECT_NE(iff::test::run(exe + " convert " + dir + "/user.pt --model ifactformer-m" + sets +
                               " --set model.kernel_multiplier=2 -o " + dir + "/km.ckpt",
                           &out),
            0);
  EXPECT_NE(out.find("low_rank_kernel_x.pos_emb.inv_freq' has shape [9], the model expects [6]"), std::string::npos)
      << out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/km.ckpt"));
}

// `ifactflow rollout` evaluates in the precision rollout.dtype asks for: float64 weights
// converted from PyTorch (convert keeps their precision) give, through the command line, the
// float64 model's own step (the
// check against the reference implementation itself is bench/operators/check_reference.py
// --ifactflow); float32 rounds them.
TEST(RolloutCommand, EvaluatesInTheRequestedPrecision) {
  const auto dir = iff::test::temp_dir("rollout_dtype");
  torch::manual_seed(6);
  auto spec = tiny(ops::ModelKind::ifactformer_m);
  auto source = ops::make_model(spec);
  source.module->to(torch::kFloat64);
  {
    torch::NoGradGuard ng;  // weights that float32 cannot hold: convert must keep float64
    for (auto& p : source.module->parameters()) p.add_(1e-9 * torch::randn_like(p));
  }
  ops::save_state_dict_file(ops::state_dict(*source.module), dir + "/w64.pt");
  const auto exe = iff::test::exe();
  std::string out;
  ASSERT_EQ(iff::test::run(exe + " convert " + dir + "/w64.pt --model ifactformer-m --set model.dim=12 --set model.heads=2"
                                 " --set model.dim_head=6 --set model.n_layer=2 --set model.grid=4x5x4 -o " + dir +
                                 "/m.ckpt",
                           &out),
            0)
      << out;
  // a float64 series holding the initial state on the checkpoint's grid and box
  iff::SeriesMeta meta;
  meta.kind = "fdns";
  meta.x = ops::ModelSpec::periodic_axis(4, 4 * M_PI);
  meta.y = iff::gauss_lobatto_y(5);
  meta.z = ops::ModelSpec::periodic_axis(4, 4 * M_PI / 3);
  meta.lx = 4 * M_PI;
  meta.lz = 4 * M_PI / 3;
  meta.dtype = iff::h5::DType::f64;
  auto u0 = torch::randn({4, 5, 4, 3}, torch::kFloat64);
  {
    iff::SeriesWriter w(dir + "/s.h5", meta);
    w.append(0.0, iff::SeriesBlock{0, 1, 0, 4}, u0.data_ptr<double>());
    w.append(1.0, iff::SeriesBlock{0, 1, 0, 4}, u0.data_ptr<double>());
    w.close();
  }
  auto step = [&](const std::string& dtype) {
    std::ofstream(dir + "/r.yaml") << "rollout:\n  checkpoint: " << dir << "/m.ckpt\n  series: " << dir
                                   << "/s.h5\n  initial: all\n  steps: 1\n  energy_band: 0\n  dtype: " << dtype
                                   << "\noutput:\n  dir: " << dir << "/" << dtype << "\n  vtk_every: 0\n";
    std::string log;
    EXPECT_EQ(iff::test::run(exe + " rollout " + dir + "/r.yaml", &log), 0) << log;
    iff::SeriesReader r(dir + "/" + dtype + "/prediction.h5");
    auto v = r.read_velocity(0, 1);
    return torch::from_blob(v.data(), {1, 4, 5, 4, 3}, torch::kFloat64).clone();
  };
  torch::NoGradGuard ng;
  source.module->eval();
  const auto want = source(u0.unsqueeze(0));
  const double scale = want.abs().max().item<double>();
  EXPECT_LT(iff::test::max_abs_diff(step("float64"), want), 1e-12 * scale);
  const double d32 = iff::test::max_abs_diff(step("float32"), want);
  EXPECT_GT(d32, 1e-10 * scale);  // rounded to float32
  EXPECT_LT(d32, 1e-4 * scale);
}

// ------------------------------------------------------------------------ no silent corruption

namespace {

/// A small series for `train`: 3 trajectories of 5 snapshots on 4x5x4 (`poison`: a NaN in
/// trajectory 1, time index 3, component u: a training trajectory, read before any output).
std::string train_series(const std::string& dir, bool poison = false) {
  iff::SeriesMeta m;
  m.kind = "fdns";
  m.n_traj = 3;
  m.x = ops::ModelSpec::periodic_axis(4, 2.0);
  m.y = iff::gauss_lobatto_y(5);
  m.z = ops::ModelSpec::periodic_axis(4, 1.0);
  m.lx = 2.0;
  m.lz = 1.0;
  m.dtype = iff::h5::DType::f64;
  const std::string path = dir + (poison ? "/nan.h5" : "/series.h5");
  iff::SeriesWriter w(path, m);
  std::vector<double> v(m.snapshot_size());
  for (int tr = 0; tr < 3; ++tr)
    for (int t = 0; t < 5; ++t) {
      for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.3 * i + t + 2 * tr);
      if (poison && tr == 1 && t == 3) v[3 * 7] = NAN;
      w.write(t, 0.5 * t, iff::SeriesBlock{tr, 1, 0, 4}, v.data());
    }
  w.close();
  return path;
}

std::string train_case(const std::string& dir, const std::string& series, const std::string& out) {
  const std::string path = dir + "/train.yaml";
  std::ofstream(path) << "data: {series: " << series << ", val_trajectories: 1}\n"
                      << "model: {kind: ifactformer-m, dim: 12, heads: 2, dim_head: 4, kernel_multiplier: 1, n_layer: 2}\n"
                      << "train: {epochs: 1, batch_size: 4, dtype: float64, threads: 1, seed: 1}\n"
                      << "output: {dir: " << out << "}\n";
  return path;
}

int error_lines(const std::string& out) {
  std::istringstream in(out);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += line.find("ifactflow: error") != std::string::npos;
  return n;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

// libtorch's own file writer throws from its destructor on a failed write (std::terminate,
// 49 lines): the checkpoint is made in memory and written with every write checked.
TEST(Checkpoint, AFullDiskIsAnErrorAndTheEarlierCheckpointStays) {
  std::cout << "[full disk: fault hook, ENOSPC after a byte budget]" << std::endl;
  const auto dir = iff::test::temp_dir("ckpt_full");
  torch::manual_seed(3);
  auto model = ops::make_model(tiny(ops::ModelKind::fno));
  ops::CheckpointData data;
  data.spec = model.spec;
  data.norm = ops::Normalization::identity();
  ops::save_checkpoint(dir + "/m.ckpt", model, data);
  const std::string before = read_bytes(dir + "/m.ckpt");
  for (unsigned long long budget : {0ull, 100ull, 5000ull, before.size() / 2ull}) {
    iff::test::FaultHookScope hook(dir, budget);
    try {
      ops::save_checkpoint(dir + "/m.ckpt", model, data);
      ADD_FAILURE() << "budget " << budget << ": no error";
    } catch (const iff::IOError& e) {
      EXPECT_NE(std::string(e.what()).find(dir + "/m.ckpt: No space left on device"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(hook.refused());
  }
  EXPECT_EQ(read_bytes(dir + "/m.ckpt"), before);
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"m.ckpt"});
}

TEST(ConvertCommand, FullDiskNonFiniteWeightsAndADirectoryOutputAreOneLineErrors) {
  const auto dir = iff::test::temp_dir("convert_integrity");
  torch::manual_seed(5);
  auto source = ops::make_model(tiny(ops::ModelKind::ifactformer_m));
  ops::save_state_dict_file(ops::state_dict(*source.module), dir + "/export.pt");
  const std::string name = "encoder.layers.0.1.to_out.2.weight";
  python_rewrite(dir, dir + "/export.pt", {{dir + "/nan.pt", "sd['" + name + "'][1, 2] = float('nan')"}});
  const std::string sets = " --set model.dim=12 --set model.heads=2 --set model.dim_head=6 --set model.n_layer=2"
                           " --set model.grid=4x5x4";
  const auto exe = iff::test::exe();
  std::string out;
  // NaN in the weights: named, nothing written
  EXPECT_NE(iff::test::run(exe + " convert " + dir + "/nan.pt --model ifactformer-m" + sets + " -o " + dir + "/n.ckpt", &out), 0);
  EXPECT_NE(out.find("tensor '" + name + "' holds 1 non-finite value(s)"), std::string::npos) << out;
  EXPECT_EQ(error_lines(out), 1) << out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/n.ckpt"));
  // -o a directory: refused before the state_dict is even read
  std::filesystem::create_directories(dir + "/taken");
  EXPECT_NE(iff::test::run(exe + " convert " + dir + "/absent.pt --model ifactformer-m -o " + dir + "/taken", &out), 0);
  EXPECT_NE(out.find("output " + dir + "/taken is a directory"), std::string::npos) << out;
  EXPECT_EQ(error_lines(out), 1) << out;
  // a full disk
  const std::string env = iff::test::fault_hook_env(dir + "/full", 2000);
  if (env.empty()) GTEST_SKIP() << "[full disk: fault hook library not named by IFF_FAULT_LIB]";
  std::cout << "[full disk: fault hook, ENOSPC after 2000 bytes]" << std::endl;
  std::filesystem::create_directories(dir + "/full");
  const int rc = iff::test::run(env + exe + " convert " + dir + "/export.pt --model ifactformer-m" + sets + " -o " + dir +
                                    "/full/m.ckpt",
                                &out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("cannot write " + dir + "/full/m.ckpt: No space left on device"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "not one line:\n" << out;
  EXPECT_TRUE(std::filesystem::is_empty(dir + "/full"));
}

TEST(TrainCommand, FullDiskNonFiniteSeriesAndFailedInputAreOneLineAndChangeNothing) {
  const auto dir = iff::test::temp_dir("train_integrity");
  const std::string series = train_series(dir), nan = train_series(dir, true);
  const auto exe = iff::test::exe();
  std::string out;
  // a finished run, then runs that fail on their input: the folder stays as it was
  ASSERT_EQ(iff::test::run(exe + " train " + train_case(dir, series, dir + "/run"), &out), 0) << out;
  const std::string config = read_bytes(dir + "/run/config.resolved.yaml"), last = read_bytes(dir + "/run/last.ckpt");
  ASSERT_FALSE(config.empty());
  EXPECT_NE(iff::test::run(exe + " train " + train_case(dir, nan, dir + "/run"), &out), 0);
  EXPECT_NE(out.find("series " + nan + ": non-finite value nan in trajectory 1, time index 3 (t = 1.5), component u"),
            std::string::npos)
      << out;
  EXPECT_EQ(error_lines(out), 1) << out;
  EXPECT_NE(iff::test::run(exe + " train " + train_case(dir, dir + "/absent.h5", dir + "/run"), &out), 0);
  EXPECT_EQ(read_bytes(dir + "/run/config.resolved.yaml"), config) << "a failed run rewrote the resolved config";
  EXPECT_EQ(read_bytes(dir + "/run/last.ckpt"), last);
  // a full disk: one line, no checkpoint under its name (libtorch's writer ended in std::terminate)
  const std::string env = iff::test::fault_hook_env(dir + "/full", 20000);
  if (env.empty()) GTEST_SKIP() << "[full disk: fault hook library not named by IFF_FAULT_LIB]";
  std::cout << "[full disk: fault hook, ENOSPC after 20000 bytes]" << std::endl;
  std::filesystem::create_directories(dir + "/full");
  EXPECT_NE(iff::test::run(env + exe + " train " + train_case(dir, series, dir + "/full/run"), &out), 0) << out;
  EXPECT_NE(out.find("No space left on device"), std::string::npos) << out;
  EXPECT_EQ(error_lines(out), 1) << out;
  EXPECT_EQ(out.find("terminate called"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/full/run/last.ckpt"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/full/run/best.ckpt"));
}

// ------------------------------------------------------------------------ train: divergence and signals

namespace {

/// The weights of a checkpoint, by name.
ops::StateDict checkpoint_weights(const std::string& path) { return ops::state_dict(*ops::load_model(path).module); }

bool equal_weights(const ops::StateDict& a, const ops::StateDict& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a)
    if (!b.count(k) || !torch::equal(v, b.at(k))) return false;
  return true;
}

int csv_rows(const std::string& path) {
  std::ifstream in(path);
  int n = -1;  // the header
  for (std::string l; std::getline(in, l);) n += !l.empty();
  return n;
}

}  // namespace

// The case on the command line, at 1 and 2 ranks: one epoch at the case's rate, then a
// resume at lr 10 stops with exit 1 and one line naming last.ckpt of step 2 (left as it was);
// the resume the line suggests, with a lower rate, is accepted, says so, and finishes.
TEST(TrainCommand, DivergenceAtLr10StopsWithTheLastGoodCheckpointAndALowerRateContinues) {
  const auto dir = iff::test::temp_dir("train_diverge_cli");
  const std::string series = train_series(dir);
  const std::string case_ = train_case(dir, series, dir + "/unused");
  for (int n : {1, 2}) {
    const std::string out = dir + "/run" + std::to_string(n);
    const std::string train = iff::test::mpirun(n) + iff::test::exe() + " train " + case_ + " --set output.dir=" + out;
    std::string log;
    ASSERT_EQ(iff::test::run(train, &log), 0) << log;
    const std::string good = read_bytes(out + "/last.ckpt");
    EXPECT_EQ(iff::test::run(train + " --resume --set train.lr=10 --set train.epochs=50", &log), 1) << log;
    if (log.find("ifactflow: error") != std::string::npos)
      std::cout << n << " rank(s), lr 10: " << log.substr(log.find("ifactflow: error")).substr(0, 500) << "\n";
    EXPECT_EQ(error_lines(log), 1) << log;
    EXPECT_NE(log.find("ifactflow: error: train: diverged: batch loss "), std::string::npos) << log;
    EXPECT_NE(log.find("last good checkpoint " + out + "/last.ckpt (step 2); continue with a lower learning rate: "
                       "ifactflow train " + case_ + " --set output.dir=" + out),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("--resume --set train.lr=1\n"), std::string::npos) << log;
    EXPECT_EQ(log.find("MPI_ABORT"), std::string::npos) << log;
    EXPECT_EQ(read_bytes(out + "/last.ckpt"), good) << "the diverged state was written over last.ckpt";
    EXPECT_EQ(csv_rows(out + "/train_log.csv"), 1);
    ASSERT_EQ(iff::test::run(train + " --resume --set train.lr=1e-4 --set train.epochs=3", &log), 0) << log;
    EXPECT_NE(log.find("resuming with train.lr = 0.0001 (last.ckpt was trained with 0.0005)"), std::string::npos) << log;
    EXPECT_EQ(csv_rows(out + "/train_log.csv"), 3);
  }
}

// SIGTERM to one rank of a running `train` (once its first epoch's last.ckpt exists): exit 75
// with one "interrupted" line; `--resume` then finishes with the weights of an uninterrupted
// run, at 1 and 2 ranks.
TEST(TrainCommand, SigtermExits75AndResumeEqualsAnUninterruptedRun) {
  const auto dir = iff::test::temp_dir("train_sigterm_cli");
  const std::string series = train_series(dir);
  const std::string case_ = train_case(dir, series, dir + "/unused");
  const std::string epochs = " --set train.epochs=400";
  for (int n : {1, 2}) {
    const std::string tag = std::to_string(n);
    const std::string base = iff::test::mpirun(n) + iff::test::exe() + " train " + case_ + epochs + " --set output.dir=";
    std::string log;
    ASSERT_EQ(iff::test::run(base + dir + "/straight" + tag, &log), 0) << log;
    const std::string out = dir + "/signalled" + tag;
    // launched in the background; SIGTERM to the last of mpirun's children (a rank)
    const std::string script = "(" + base + out + " > " + out + ".log 2>&1 & m=$!; i=0; while [ ! -s " + out +
                               "/last.ckpt ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; "
                               "kill -TERM $(pgrep -P $m | tail -n 1); wait $m; echo rc=$?)";
    ASSERT_EQ(iff::test::run(script, &log), 0) << log;
    const std::string run_log = read_bytes(out + ".log");
    EXPECT_NE(log.find("rc=75"), std::string::npos) << log << run_log;
    EXPECT_NE(run_log.find("ifactflow: interrupted: train: stopped by a signal after step "), std::string::npos) << run_log;
    EXPECT_EQ(error_lines(run_log), 0) << run_log;
    ops::CheckpointData d;
    ops::load_model(out + "/last.ckpt", &d);
    EXPECT_GT(d.progress.step, 0);
    EXPECT_LT(d.progress.step, 800) << "the signal came after the end";
    std::cout << n << " rank(s): interrupted after step " << d.progress.step << " of 800\n";
    ASSERT_EQ(iff::test::run(base + out + " --resume", &log), 0) << log;
    EXPECT_TRUE(equal_weights(checkpoint_weights(out + "/last.ckpt"), checkpoint_weights(dir + "/straight" + tag + "/last.ckpt")));
    EXPECT_EQ(csv_rows(out + "/train_log.csv"), 400);
  }
}
