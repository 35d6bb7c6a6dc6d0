// VTK XML output for ParaView: rectilinear-grid pieces (.vtr, written by VTK's
// vtkXMLRectilinearGridWriter), the parallel index of one step's pieces (.pvtr) and the
// time collection of a run (.pvd). Every file is made in memory, written under a temporary
// name with every write checked, and renamed into place: a full disk is an IOError naming
// the file, and nothing appears under its final name.
//
// Field arrays are in the project's order [nx][ny][nz][c] (z fastest); the writer
// reorders them into VTK's point order (x fastest).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace iff {

struct VtkField {
  std::string name;
  int components = 1;
  const double* data = nullptr;  ///< [nx_local][ny][nz][components]
};

/// A piece of the global grid: x planes [x0, x0 + x.size()) of nx_global. Pieces of one
/// .pvtr must share their boundary planes (piece i also holds the first plane of piece
/// i + 1), as VTK's point-data extents require.
struct VtkPiece {
  std::vector<double> x, y, z;  ///< coordinates of this piece's points
  int x0 = 0;                   ///< global index of its first x plane
};

/// Values of the whole dataset (VTK field data), shown by ParaView's spreadsheet and
/// information panels: a number (a TimeValue entry is the time ParaView reads from the
/// file) or a text.
struct VtkFieldData {
  std::vector<std::pair<std::string, double>> numbers;
  std::vector<std::pair<std::string, std::string>> texts;
};

/// False in a build configured without VTK (IFF_WITH_VTK=OFF): write_vtr then throws, and
/// the commands refuse VTK output before doing any work.
bool vtk_built();

/// Writes one .vtr piece (binary, zlib-compressed); data are converted to float32 when
/// `single` is set.
void write_vtr(const std::string& path, const VtkPiece& piece, const std::vector<VtkField>& fields,
               bool single = true, const VtkFieldData& field_data = {});

/// Writes a .pvtr index that assembles pieces (file names relative to the .pvtr) into
/// the global grid nx_global x ny x nz.
void write_pvtr(const std::string& path, int nx_global, int ny, int nz, const std::vector<VtkPiece>& pieces,
                const std::vector<std::string>& piece_files, const std::vector<VtkField>& fields,
                bool single = true);

/// A .pvd collection: one entry (time, file) per step, rewritten atomically on each add so
/// that an interrupted run leaves a valid collection of the steps written so far.
class PvdCollection {
 public:
  explicit PvdCollection(std::string path);
  /// `file` relative to the .pvd's directory.
  void add(double time, const std::string& file);
  std::size_t size() const { return entries_.size(); }

 private:
  void write() const;
  std::string path_;
  std::vector<std::pair<double, std::string>> entries_;
};

}  // namespace iff
