// ifactflow convert STATE_DICT.pt --model KIND [--set model.KEY=VALUE ...] [--norm FILE]
//                   -o MODEL.ckpt
// Imports reference PyTorch weights, saved as torch.save(dict(model.state_dict()), f), into
// an operator checkpoint. The model section keys are those of a training case
// (operators/model_config.hpp) plus model.grid = NXxNYxNZ (default 32x33x16, the public
// Re_tau 180 set), model.lx (default 4π) and model.lz (default 4π/3), which fix the
// positions. Normalisation is the identity unless --norm names a file of
// "in_mean: a b c", "in_std: ...", "out_mean: ...", "out_std: ..." lines.
#include "apps/commands.hpp"
#include "apps/version.hpp"

#ifdef IFF_HAVE_TORCH
#include <cmath>

#include "io/config.hpp"
#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/log.hpp"
#include "operators/convert.hpp"
#include "operators/model_config.hpp"

namespace iff::app {

namespace {
struct ConvertOptions {
  std::string state_dict, kind, norm, output;
  std::vector<std::string> overrides;
};
}  // namespace

void add_convert(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<ConvertOptions>();
  auto* sub = app.add_subcommand("convert", "Import reference PyTorch weights (a plain-dict state_dict) into a checkpoint");
  sub->add_option("state_dict", opt->state_dict, "file written by torch.save(dict(model.state_dict()), f)")->required();
  sub->add_option("--model", opt->kind, "ifactformer-m, ifactformer-o, fno or ifno")->required();
  sub->add_option("--set", opt->overrides, "model.KEY=VALUE (hyper-parameters, model.grid=NXxNYxNZ, model.lx, model.lz)");
  sub->add_option("--norm", opt->norm, "normalisation file (default: identity)");
  sub->add_option("-o,--output", opt->output, "checkpoint to write")->required();
  sub->callback([opt, &ctx] {
    require_output_file(opt->output);
    for (const auto& o : opt->overrides)
      IFF_REQUIRE(o.rfind("model.", 0) == 0, "convert: --set takes model.KEY=VALUE, got '" << o << "'");
    auto cfg = Config::from_string("model:\n  kind: " + opt->kind + "\n", "--model", opt->overrides);
    auto sec = cfg.section("model");
    auto spec = operators::model_spec_from(sec);
    const auto grid = parse_grid_triplet(sec.get<std::string>("grid", "32x33x16", "grid NXxNYxNZ the weights are for"));
    spec.lx = sec.get_in<double>("lx", 4 * M_PI, 1e-12, 1e12, "box length in x the positions span [h]");
    spec.lz = sec.get_in<double>("lz", 4 * M_PI / 3, 1e-12, 1e12, "box length in z the positions span [h]");
    cfg.reject_unknown();
    spec.x = operators::ModelSpec::periodic_axis(grid[0], spec.lx);
    spec.y = operators::ModelSpec::chebyshev_axis(grid[1]);
    spec.z = operators::ModelSpec::periodic_axis(grid[2], spec.lz);
    operators::ConvertRequest request;
    request.state_dict = opt->state_dict;
    request.spec = spec;
    request.norm_file = opt->norm;
    request.output = opt->output;
    request.provenance = "ifactflow convert " + opt->state_dict + " --model " + opt->kind + " (git " + git_commit() + ")";
    request.config = cfg.resolved_yaml();
    const auto n = operators::convert_reference_weights(request, ctx.rank == 0);
    log::info("convert: {} ({} parameters) -> {}", opt->kind, n, opt->output);
    // what was assumed, once the weights are in (a failed conversion prints its error alone)
    if (!sec.has("grid"))
      log::warn("convert: no model.grid given: {}x{}x{} assumed (the public Re_tau 180 set); a rollout refuses a "
                "series on another grid", grid[0], grid[1], grid[2]);
    if (!sec.has("lx") || !sec.has("lz"))
      log::warn("convert: no model.lx/model.lz given: a box of {:.6g} x 2 x {:.6g} assumed (4pi x 2 x 4pi/3); the "
                "positional features depend on it, and a rollout refuses a series in another box",
                spec.lx, spec.lz);
    if (opt->norm.empty())
      log::warn("convert: no --norm given: identity normalisation (right only for weights trained on unnormalised "
                "fields)");
  });
}

}  // namespace iff::app
#endif
