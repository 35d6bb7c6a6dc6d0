#include "io/xdmf.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "io/fsutil.hpp"
#include "io/h5.hpp"
#include "io/series.hpp"

namespace iff {
namespace {

namespace fs = std::filesystem;

/// A DataItem reading one whole array of the file.
std::string whole(const std::string& file, const std::string& dataset, const std::string& dims, int precision) {
  return fmt::format(R"(<DataItem Dimensions="{}" NumberType="Float" Precision="{}" Format="HDF">{}:{}</DataItem>)",
                     dims, precision, file, dataset);
}

/// A hyperslab of snapshot (traj, t): all points, of component `c` (c < 0: a field without a
/// component axis, /pressure).
std::string slab(const std::string& file, const SeriesMeta& m, int n_time, int traj, int t, int c, int precision) {
  const std::string pts = fmt::format("{} {} {}", m.nx(), m.ny(), m.nz());
  if (c < 0)
    return fmt::format(R"(<DataItem ItemType="HyperSlab" Dimensions="{p}" Type="HyperSlab">)"
                       R"(<DataItem Dimensions="3 5" Format="XML">{k} {t} 0 0 0 1 1 1 1 1 1 1 {p}</DataItem>)"
                       "{d}</DataItem>",
                       fmt::arg("p", pts), fmt::arg("k", traj), fmt::arg("t", t),
                       fmt::arg("d", whole(file, "/pressure", fmt::format("{} {} {}", m.n_traj, n_time, pts), precision)));
  return fmt::format(R"(<DataItem ItemType="HyperSlab" Dimensions="{p}" Type="HyperSlab">)"
                     R"(<DataItem Dimensions="3 6" Format="XML">{k} {t} 0 0 0 {c} 1 1 1 1 1 1 1 1 {p} 1</DataItem>)"
                     "{d}</DataItem>",
                     fmt::arg("p", pts), fmt::arg("k", traj), fmt::arg("t", t), fmt::arg("c", c),
                     fmt::arg("d", whole(file, "/velocity", fmt::format("{} {} {} 3", m.n_traj, n_time, pts), precision)));
}

}  // namespace

std::string xdmf_path_for(const std::string& series_path) {
  return fs::path(series_path).replace_extension(".xmf").string();
}

std::string series_xdmf(const std::string& series_path, const std::string& xdmf_path) {
  const SeriesReader r(series_path);
  return series_xdmf(r.meta(), r.times(), series_path, xdmf_path);
}

std::string series_xdmf(const SeriesMeta& m, const std::vector<double>& times, const std::string& series_path,
                        const std::string& xdmf_path) {
  // the series as seen from the XDMF file's folder
  const fs::path from = fs::absolute(xdmf_path).parent_path();
  const std::string file = fs::absolute(series_path).lexically_relative(from).generic_string();
  const int prec = m.dtype == h5::DType::f64 ? 8 : 4;
  const int nt = static_cast<int>(times.size());
  const std::string pts = fmt::format("{} {} {}", m.nx(), m.ny(), m.nz());
  std::string geometry = fmt::format(
      R"(<Topology TopologyType="3DRectMesh" Dimensions="{}"/>)"
      R"(<Geometry GeometryType="VXVYVZ">{}{}{}</Geometry>)",
      pts, whole(file, "/grid/z", std::to_string(m.nz()), 8), whole(file, "/grid/y", std::to_string(m.ny()), 8),
      whole(file, "/grid/x", std::to_string(m.nx()), 8));
  std::string out;
  out += "<?xml version=\"1.0\" ?>\n";
  out += fmt::format("<!-- {}: {} series, {} trajectories x {} snapshots on {}; ParaView X = z, Y = y, Z = x -->\n",
                     file, m.kind, m.n_traj, nt, grid_name(m.nx(), m.ny(), m.nz()));
  out += "<Xdmf Version=\"2.0\">\n<Domain>\n";
  for (int k = 0; k < m.n_traj; ++k) {
    out += fmt::format("<Grid Name=\"trajectory {}\" GridType=\"Collection\" CollectionType=\"Temporal\">\n", k);
    for (int t = 0; t < nt; ++t) {
      out += fmt::format("<Grid Name=\"trajectory {} snapshot {}\" GridType=\"Uniform\"><Time Value=\"{:.17g}\"/>", k, t,
                         times[t]);
      out += geometry;
      out += fmt::format(
          R"(<Attribute Name="velocity" AttributeType="Vector" Center="Node">)"
          R"x(<DataItem ItemType="Function" Function="JOIN($0, $1, $2)" Dimensions="{} 3">{}{}{}</DataItem></Attribute>)x",
          pts, slab(file, m, nt, k, t, 2, prec), slab(file, m, nt, k, t, 1, prec), slab(file, m, nt, k, t, 0, prec));
      const char* names[3] = {"u", "v", "w"};
      for (int c = 0; c < 3; ++c)
        out += fmt::format(R"(<Attribute Name="{}" AttributeType="Scalar" Center="Node">{}</Attribute>)", names[c],
                           slab(file, m, nt, k, t, c, prec));
      if (m.has_pressure)
        out += fmt::format(R"(<Attribute Name="p" AttributeType="Scalar" Center="Node">{}</Attribute>)",
                           slab(file, m, nt, k, t, -1, prec));
      out += "</Grid>\n";
    }
    out += "</Grid>\n";
  }
  out += "</Domain>\n</Xdmf>\n";
  return out;
}

void write_series_xdmf(const std::string& series_path, const std::string& xdmf_path) {
  write_text_atomic(xdmf_path, series_xdmf(series_path, xdmf_path));
}

void write_series_xdmf(const SeriesMeta& meta, const std::string& series_path, const std::string& xdmf_path) {
  const auto times = h5::File::open(series_path).read_vector("/time");
  write_text_atomic(xdmf_path, series_xdmf(meta, times, series_path, xdmf_path));
}

}  // namespace iff
