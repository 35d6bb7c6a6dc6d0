// ifactflow export MODEL.ckpt -o FILE.pt: a checkpoint's weights as a PyTorch state_dict
// with the reference implementation's names, and FILE.json with the hyper-parameters, grid,
// positions convention and normalisation (operators/export.hpp).
#include "apps/commands.hpp"

#ifdef IFF_HAVE_TORCH
#include "io/log.hpp"
#include "operators/export.hpp"

namespace iff::app {

void add_export(CLI::App& app, Context& ctx) {
  auto checkpoint = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("export", "Export a checkpoint's weights as a PyTorch state_dict (+ JSON description)");
  sub->add_option("checkpoint", *checkpoint, "operator checkpoint (ifactflow train / convert)")->required();
  sub->add_option("-o,--output", *output, "state_dict file to write (.pt); the .json goes beside it")->required();
  sub->callback([checkpoint, output, &ctx] {
    if (ctx.rank != 0) return;  // one rank writes both files
    const auto r = operators::export_checkpoint(*checkpoint, *output);
    log::info("export: {} -> {} ({} tensors, {} values) and {}", *checkpoint, r.state_dict, r.tensors, r.parameters,
              r.json);
  });
}

}  // namespace iff::app
#endif
