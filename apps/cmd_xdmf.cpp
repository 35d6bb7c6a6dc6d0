// ifactflow xdmf SERIES.h5 [-o FILE.xmf]: writes the XDMF description ParaView opens a series
// through (io/xdmf.hpp), for a series whose run did not write one (stopped, imported).
#include "apps/commands.hpp"
#include "io/agreed.hpp"
#include "io/log.hpp"
#include "io/xdmf.hpp"

namespace iff::app {

void add_xdmf(CLI::App& app, Context& ctx) {
  struct Options {
    std::string series, output;
  };
  auto opt = std::make_shared<Options>();
  auto* sub = app.add_subcommand("xdmf", "Write the XDMF file that opens a series in ParaView (no copy of its fields)");
  sub->add_option("series", opt->series, "series file (.h5)")->required();
  sub->add_option("-o,--output", opt->output, "XDMF file to write (default: the series' name with .xmf)");
  sub->callback([opt, &ctx] {
    const std::string out = opt->output.empty() ? xdmf_path_for(opt->series) : opt->output;
    run_agreed(ctx.comm, [&] {
      if (ctx.rank == 0) write_series_xdmf(opt->series, out);
    });
    log::info("xdmf: {} (open with ParaView's XDMF Reader; X = z, Y = y, Z = x)", out);
  });
}

}  // namespace iff::app
