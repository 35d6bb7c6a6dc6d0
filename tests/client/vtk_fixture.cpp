// Writes a small VTK time series for the pvpython client test: 3 steps, each step two
// .vtr pieces assembled by a .pvtr, all listed in run.pvd. The velocity is
// u = (1 - y^2) (1 + 0.1 step), v = sin(x), w = cos(z); the times are 0.5 step.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "io/vtk.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: vtk_fixture DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int nx = 8, ny = 9, nz = 4;
  iff::PvdCollection pvd(dir + "/run.pvd");
  for (int step = 0; step < 3; ++step) {
    std::vector<iff::VtkPiece> pieces;
    std::vector<std::string> files;
    for (int p = 0; p < 2; ++p) {
      iff::VtkPiece piece;
      piece.x0 = p * nx / 2;
      const int x1 = std::min(nx, (p + 1) * nx / 2 + 1);  // shared boundary plane
      for (int i = piece.x0; i < x1; ++i) piece.x.push_back(2 * M_PI * i / nx);
      for (int j = 0; j < ny; ++j) piece.y.push_back(-std::cos(M_PI * j / (ny - 1)));
      for (int k = 0; k < nz; ++k) piece.z.push_back(M_PI * k / nz);
      std::vector<double> vel;
      for (double x : piece.x)
        for (double y : piece.y)
          for (double z : piece.z) {
            vel.push_back((1 - y * y) * (1 + 0.1 * step));
            vel.push_back(std::sin(x));
            vel.push_back(std::cos(z));
          }
      const std::string name = "step" + std::to_string(step) + "_" + std::to_string(p) + ".vtr";
      iff::write_vtr(dir + "/" + name, piece, {{"velocity", 3, vel.data()}});
      pieces.push_back(piece);
      files.push_back(name);
    }
    const std::string index = "step" + std::to_string(step) + ".pvtr";
    iff::write_pvtr(dir + "/" + index, nx, ny, nz, pieces, files, {{"velocity", 3, nullptr}});
    pvd.add(0.5 * step, index);
  }
  return 0;
}
