#include "apps/commands.hpp"
namespace iff::app {
void add_info(CLI::App& app, Context& ctx) {}
}
