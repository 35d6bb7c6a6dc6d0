// ifactflow compare: registered by its owner once built; until then "not built" (cmd_not_built.cpp).
#include "apps/commands.hpp"

namespace iff::app {

void add_compare(CLI::App&, Context&) {}

}  // namespace iff::app
