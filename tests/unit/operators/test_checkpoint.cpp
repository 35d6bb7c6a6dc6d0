// Checkpoints and reference state_dict import: round trips are exact, and a state_dict with
// a wrong shape, a missing or an extra tensor is rejected naming the tensor. The files are
// written by PyTorch itself (/usr/bin/python3, the same torch 1.13), the way users save them:
// torch.save(dict(model.state_dict()), f).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "io/error.hpp"
#include "operators/checkpoint.hpp"
#include "operators/checkpoint_info.hpp"
#include "operators/state_dict_import.hpp"
#include "tests/support/test_support.hpp"

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
/// changes it, and it is saved as a plain dict to `dst`.
void python_rewrite(const std::string& dir, const std::string& src,
                    const std::vector<std::pair<std::string, std::string>>& edits) {
  const std::string script = dir + "/edit.py";
  {
    std::ofstream py(script);
    py << "import torch\n";
    for (const auto& [dst, edit] : edits)
      py << "sd = dict(torch.load('" << src << "'))\n" << edit << "\ntorch.save(dict(sd), '" << dst << "')\n";
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
                   {{dir + "/user.pt", ""}, {dir + "/user64.pt", "sd = {k: v.double() for k, v in sd.items()}"}});
    torch::manual_seed(2);
    auto target = ops::make_model(tiny(kind));
    ASSERT_FALSE(identical(ops::state_dict(*source.module), ops::state_dict(*target.module)));
    ops::load_state_dict(*target.module, ops::load_state_dict_file(dir + "/user.pt"), "user.pt");
    EXPECT_TRUE(identical(ops::state_dict(*source.module), ops::state_dict(*target.module))) << ops::to_string(kind);
    torch::manual_seed(3);
    auto target64 = ops::make_model(tiny(kind));
    ops::load_state_dict(*target64.module, ops::load_state_dict_file(dir + "/user64.pt"), "user64.pt");
    EXPECT_TRUE(identical(ops::state_dict(*source.module), ops::state_dict(*target64.module))) << ops::to_string(kind);
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
                 {{dir + "/user.pt", "sd = {k: v.double() for k, v in sd.items()}"},
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
