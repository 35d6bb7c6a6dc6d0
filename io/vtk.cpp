#include "io/vtk.hpp"

// The .vtr pieces are made by VTK's XML writer; the .pvtr and .pvd indices are plain XML
// written here. Without VTK (IFF_WITH_VTK=OFF) write_vtr refuses and vtk_built() is false.
#ifdef IFF_HAVE_VTK
#include <vtkDoubleArray.h>
#include <vtkFieldData.h>
#include <vtkFloatArray.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkRectilinearGrid.h>
#include <vtkStringArray.h>
#include <vtkXMLRectilinearGridWriter.h>
#endif

#include <cstdio>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "io/error.hpp"
#include "io/fsutil.hpp"

namespace iff {

namespace {

#ifdef IFF_HAVE_VTK
/// A coordinate array, named (VTK otherwise names it after its address, which makes the
/// files of two identical runs differ).
template <class ArrayT>
vtkNew<ArrayT> coords(const std::vector<double>& v, const char* name) {
  vtkNew<ArrayT> a;
  a->SetName(name);
  a->SetNumberOfTuples(static_cast<vtkIdType>(v.size()));
  for (std::size_t i = 0; i < v.size(); ++i) a->SetValue(static_cast<vtkIdType>(i), v[i]);
  return a;
}

template <class ArrayT>
void add_field(vtkRectilinearGrid* g, const VtkField& f, int nx, int ny, int nz) {
  vtkNew<ArrayT> a;
  a->SetName(f.name.c_str());
  a->SetNumberOfComponents(f.components);
  a->SetNumberOfTuples(static_cast<vtkIdType>(nx) * ny * nz);
  // VTK point id = i + nx (j + ny k); ours = ((i ny + j) nz + k)
  for (int i = 0; i < nx; ++i)
    for (int j = 0; j < ny; ++j)
      for (int k = 0; k < nz; ++k) {
        const std::size_t src = ((static_cast<std::size_t>(i) * ny + j) * nz + k) * f.components;
        const vtkIdType dst = i + static_cast<vtkIdType>(nx) * (j + static_cast<vtkIdType>(ny) * k);
        for (int c = 0; c < f.components; ++c) a->SetComponent(dst, c, f.data[src + c]);
      }
  g->GetPointData()->AddArray(a);
}
#endif

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else if (c == '<') o += "&lt;";
    else o += c;
  }
  return o;
}

}  // namespace

#ifdef IFF_HAVE_VTK

bool vtk_built() { return true; }

void write_vtr(const std::string& path, const VtkPiece& p, const std::vector<VtkField>& fields, bool single,
               const VtkFieldData& field_data) {
  const int nx = static_cast<int>(p.x.size()), ny = static_cast<int>(p.y.size()), nz = static_cast<int>(p.z.size());
  IFF_CHECK(nx > 0 && ny > 0 && nz > 0, "empty VTK piece for " << path);
  require_output_file(path);
  vtkNew<vtkRectilinearGrid> g;
  g->SetExtent(p.x0, p.x0 + nx - 1, 0, ny - 1, 0, nz - 1);
  g->SetXCoordinates(coords<vtkDoubleArray>(p.x, "x"));
  g->SetYCoordinates(coords<vtkDoubleArray>(p.y, "y"));
  g->SetZCoordinates(coords<vtkDoubleArray>(p.z, "z"));
  for (const auto& f : fields) {
    IFF_CHECK(f.data && f.components > 0, "VTK field " << f.name << " has no data");
    if (single)
      add_field<vtkFloatArray>(g, f, nx, ny, nz);
    else
      add_field<vtkDoubleArray>(g, f, nx, ny, nz);
  }
  for (const auto& [name, value] : field_data.numbers) {
    vtkNew<vtkDoubleArray> a;
    a->SetName(name.c_str());
    a->InsertNextValue(value);
    g->GetFieldData()->AddArray(a);
  }
  for (const auto& [name, text] : field_data.texts) {
    vtkNew<vtkStringArray> a;
    a->SetName(name.c_str());
    a->InsertNextValue(text);
    g->GetFieldData()->AddArray(a);
  }
  // VTK writes into memory (its own file writes are not all checked: a full disk left an
  // empty .vtr); the bytes then go to disk through a checked, atomic write
  vtkNew<vtkXMLRectilinearGridWriter> w;
  w->SetInputData(g);
  w->WriteToOutputStringOn();
  w->SetDataModeToAppended();
  w->EncodeAppendedDataOff();
  w->SetCompressorTypeToZLib();
  IFF_CHECK_AS(IOError, w->Write() == 1 && w->GetErrorCode() == 0,
               "VTK could not write " << path << " (error code " << w->GetErrorCode() << ")");
  const std::string bytes = w->GetOutputString();
  IFF_CHECK_AS(IOError, !bytes.empty(), "VTK produced no data for " << path);
  write_bytes_atomic(path, bytes.data(), bytes.size());
}

#else

bool vtk_built() { return false; }

void write_vtr(const std::string& path, const VtkPiece&, const std::vector<VtkField>&, bool, const VtkFieldData&) {
  throw Error("cannot write " + path + ": VTK output is not built (ifactflow configured with IFF_WITH_VTK=OFF)");
}

#endif

void write_pvtr(const std::string& path, int nx_global, int ny, int nz, const std::vector<VtkPiece>& pieces,
                const std::vector<std::string>& files, const std::vector<VtkField>& fields, bool single) {
  IFF_CHECK(pieces.size() == files.size(), "pvtr: " << pieces.size() << " pieces, " << files.size() << " files");
  const char* type = single ? "Float32" : "Float64";
  std::ostringstream s;
  s << "<?xml version=\"1.0\"?>\n"
    << "<VTKFile type=\"PRectilinearGrid\" version=\"0.1\" byte_order=\"LittleEndian\">\n"
    << fmt::format("  <PRectilinearGrid WholeExtent=\"0 {} 0 {} 0 {}\" GhostLevel=\"0\">\n", nx_global - 1, ny - 1,
                   nz - 1)
    << "    <PPointData>\n";
  for (const auto& f : fields)
    s << fmt::format("      <PDataArray type=\"{}\" Name=\"{}\" NumberOfComponents=\"{}\"/>\n", type,
                     xml_escape(f.name), f.components);
  s << "    </PPointData>\n    <PCoordinates>\n";
  for (const char* a : {"x", "y", "z"}) s << "      <PDataArray type=\"Float64\" Name=\"" << a << "\"/>\n";
  s << "    </PCoordinates>\n";
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const auto& p = pieces[i];
    s << fmt::format("    <Piece Extent=\"{} {} 0 {} 0 {}\" Source=\"{}\"/>\n", p.x0,
                     p.x0 + static_cast<int>(p.x.size()) - 1, ny - 1, nz - 1, xml_escape(files[i]));
  }
  s << "  </PRectilinearGrid>\n</VTKFile>\n";
  write_text_atomic(path, s.str());
}

PvdCollection::PvdCollection(std::string path) : path_(std::move(path)) { require_output_file(path_); }

void PvdCollection::add(double time, const std::string& file) {
  entries_.emplace_back(time, file);
  write();
}

void PvdCollection::write() const {
  std::ostringstream s;
  s << "<?xml version=\"1.0\"?>\n<VTKFile type=\"Collection\" version=\"0.1\" byte_order=\"LittleEndian\">\n"
    << "  <Collection>\n";
  for (const auto& [t, f] : entries_)
    s << fmt::format("    <DataSet timestep=\"{:.17g}\" group=\"\" part=\"0\" file=\"{}\"/>\n", t, xml_escape(f));
  s << "  </Collection>\n</VTKFile>\n";
  write_text_atomic(path_, s.str());
}

}  // namespace iff
