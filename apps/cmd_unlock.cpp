// ifactflow unlock DIR: clears the lock of an output folder (io/run_lock.hpp) that a run on
// another host, or a run that no longer exists, left behind. A lock whose process is alive
// on this host is not cleared.
#include "apps/commands.hpp"
#include "io/log.hpp"
#include "io/run_lock.hpp"

namespace iff::app {

void add_unlock(CLI::App& app, Context& ctx) {
  auto dir = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("unlock", "Clear the lock of an output folder left by a run that is over");
  sub->add_option("dir", *dir, "output folder")->required();
  sub->callback([dir, &ctx] {
    if (ctx.rank != 0) return;
    const std::string was = FolderLock::clear(*dir);
    if (was.empty())
      log::info("unlock: {} holds no lock", *dir);
    else
      log::info("unlock: removed the lock of {} from {}", was, *dir);
  });
}

}  // namespace iff::app
