// ifactflow info FILE: what any file ifactflow writes holds (io/file_info.hpp; operator
// checkpoints through operators/checkpoint_info.hpp).
#include <iostream>

#include "apps/commands.hpp"
#include "io/file_info.hpp"
#ifdef IFF_HAVE_CHECKPOINT_INFO
#include "operators/checkpoint_info.hpp"
#endif

namespace iff::app {

void add_info(CLI::App& app, Context& ctx) {
  auto path = std::make_shared<std::string>();
  auto samples = std::make_shared<int>(8);
  auto* sub = app.add_subcommand(
      "info", "Describe a file ifactflow wrote: series, DNS/LES or operator checkpoint, statistics, cost record");
  sub->add_option("file", *path, "the file")->required();
  sub->add_option("--samples", *samples, "snapshots of a series sampled for mean/std")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->callback([path, samples, &ctx] {
    std::string text;
#ifdef IFF_HAVE_CHECKPOINT_INFO
    if (is_checkpoint(*path)) text = describe_checkpoint(*path);
#endif
    if (text.empty()) text = describe_file(*path, *samples);
    if (ctx.rank == 0) std::cout << text << std::flush;
  });
}

}  // namespace iff::app
