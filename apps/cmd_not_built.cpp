#include "apps/commands.hpp"

namespace iff::app {

void add_not_yet_built(CLI::App& app, Context& ctx) {
  struct Entry {
    const char* name;
    const char* what;
  };
  // the commands that need libtorch, in a build without it (IFF_WITH_TORCH=OFF)
  static const Entry entries[] = {
      {"train", "train a neural operator"},
      {"convert", "import PyTorch weights into a checkpoint"},
      {"export", "export a checkpoint's weights to PyTorch"},
  };
  for (const auto& e : entries) {
    bool exists = true;
    try {
      app.get_subcommand(e.name);
    } catch (const CLI::OptionNotFound&) {
      exists = false;
    }
    if (exists) continue;
    auto* sub = app.add_subcommand(e.name, std::string(e.what) + " (not built: no libtorch)");
    sub->allow_extras();
    const std::string name = e.name;
    sub->callback([name] { throw NotBuilt("'" + name + "' needs libtorch, and this ifactflow was built without it"); });
  }
}

}  // namespace iff::app
