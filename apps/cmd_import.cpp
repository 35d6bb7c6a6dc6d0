#include "apps/commands.hpp"
namespace iff::app {
void add_import(CLI::App& app, Context& ctx) {}
}
