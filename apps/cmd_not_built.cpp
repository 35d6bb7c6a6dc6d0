#include "apps/commands.hpp"

namespace iff::app {

void add_not_yet_built(CLI::App& app, Context& ctx) {
  struct Entry {
    const char* name;
    const char* what;
  };
  static const Entry entries[] = {
      {"dns", "DNS, or LES when the case names an SGS model"},
      {"dataset", "ensemble of DNS trajectories -> filtered training set"},
      {"filter", "filter a series onto a coarse grid"},
      {"train", "train a neural operator"},
      {"convert", "import reference PyTorch weights"},
      {"rollout", "autoregressive rollout of a trained operator"},
      {"stats", "statistics and spectra of a series"},
      {"compare", "compare candidates with a reference series"},
  };
  for (const auto& e : entries) {
    bool exists = true;
    try {
      app.get_subcommand(e.name);
    } catch (const CLI::OptionNotFound&) {
      exists = false;
    }
    if (exists) continue;
    auto* sub = app.add_subcommand(e.name, std::string(e.what) + " (not built yet)");
    sub->allow_extras();
    const std::string name = e.name;
    sub->callback([name] { throw NotBuilt("'" + name + "' is not built yet in this version of ifactflow"); });
  }
}

}  // namespace iff::app
