// VTK output: a .vtr piece read back by VTK's own reader holds the field in VTK point order;
// .pvtr and .pvd indices name what they should; the same piece written twice gives the same
// bytes (a resumed rollout's files equal an uninterrupted one's).
#include <gtest/gtest.h>

#include <vtkDataArray.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkRectilinearGrid.h>
#include <vtkXMLPRectilinearGridReader.h>
#include <vtkXMLRectilinearGridReader.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "io/vtk.hpp"
#include "tests/support/test_support.hpp"

namespace {

double u_of(double x, double y, double z, int c) { return std::sin(x + 2 * c) * (1 - y * y) + std::cos(3 * z); }

struct Sample {
  iff::VtkPiece piece;
  std::vector<double> vel;
};

Sample make_piece(int x0, int nx, int nx_global) {
  Sample s;
  for (int i = 0; i < nx; ++i) s.piece.x.push_back(2 * M_PI * (x0 + i) / nx_global);
  s.piece.y = {-1, -0.5, 0, 0.5, 1};
  s.piece.z = {0, 0.5, 1.0};
  s.piece.x0 = x0;
  for (int i = 0; i < nx; ++i)
    for (double y : s.piece.y)
      for (double z : s.piece.z)
        for (int c = 0; c < 3; ++c) s.vel.push_back(u_of(s.piece.x[i], y, z, c));
  return s;
}

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(Vtk, PieceReadsBackInVtkPointOrder) {
  const auto dir = iff::test::temp_dir("vtk");
  auto s = make_piece(0, 4, 4);
  iff::write_vtr(dir + "/a.vtr", s.piece, {{"velocity", 3, s.vel.data()}}, false);
  vtkNew<vtkXMLRectilinearGridReader> r;
  r->SetFileName((dir + "/a.vtr").c_str());
  r->Update();
  auto* g = r->GetOutput();
  ASSERT_EQ(g->GetNumberOfPoints(), 4 * 5 * 3);
  auto* a = g->GetPointData()->GetArray("velocity");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->GetNumberOfComponents(), 3);
  for (vtkIdType id = 0; id < g->GetNumberOfPoints(); ++id) {
    double p[3];
    g->GetPoint(id, p);
    for (int c = 0; c < 3; ++c) ASSERT_DOUBLE_EQ(a->GetComponent(id, c), u_of(p[0], p[1], p[2], c)) << id;
  }
}

TEST(Vtk, TheSamePieceWrittenTwiceGivesTheSameBytes) {
  const auto dir = iff::test::temp_dir("vtk-bytes");
  for (bool single : {false, true}) {
    // separate grids and arrays in memory each time (VTK names an unnamed array after its address)
    auto a = make_piece(0, 4, 4);
    iff::write_vtr(dir + "/a.vtr", a.piece, {{"velocity", 3, a.vel.data()}}, single);
    auto b = make_piece(0, 4, 4);
    iff::write_vtr(dir + "/b.vtr", b.piece, {{"velocity", 3, b.vel.data()}}, single);
    const std::string ta = slurp(dir + "/a.vtr"), tb = slurp(dir + "/b.vtr");
    EXPECT_EQ(ta, tb) << (single ? "float32" : "float64");
    EXPECT_EQ(ta.find("Name=\"Array 0x"), std::string::npos) << "an array named after its address";
    EXPECT_NE(ta.find("Name=\"x\""), std::string::npos);
  }
}

TEST(Vtk, ParallelIndexAssemblesPiecesAndCollectionListsTimes) {
  const auto dir = iff::test::temp_dir("vtk-p");
  // point-data pieces share their boundary plane (x index 3 is in both)
  auto a = make_piece(0, 4, 6), b = make_piece(3, 3, 6);
  iff::write_vtr(dir + "/s_0.vtr", a.piece, {{"velocity", 3, a.vel.data()}});
  iff::write_vtr(dir + "/s_1.vtr", b.piece, {{"velocity", 3, b.vel.data()}});
  iff::write_pvtr(dir + "/s.pvtr", 6, 5, 3, {a.piece, b.piece}, {"s_0.vtr", "s_1.vtr"}, {{"velocity", 3, nullptr}});
  vtkNew<vtkXMLPRectilinearGridReader> r;
  r->SetFileName((dir + "/s.pvtr").c_str());
  r->Update();
  auto* g = r->GetOutput();
  ASSERT_EQ(g->GetNumberOfPoints(), 6 * 5 * 3);
  auto* v = g->GetPointData()->GetArray("velocity");
  ASSERT_NE(v, nullptr);
  for (vtkIdType id = 0; id < g->GetNumberOfPoints(); ++id) {
    double p[3];
    g->GetPoint(id, p);
    ASSERT_NEAR(v->GetComponent(id, 1), u_of(p[0], p[1], p[2], 1), 1e-6);  // float32 storage
  }
  iff::PvdCollection pvd(dir + "/run.pvd");
  pvd.add(0.5, "s.pvtr");
  pvd.add(1.25, "t.pvtr");
  const auto text = slurp(dir + "/run.pvd");
  EXPECT_NE(text.find("timestep=\"1.25\""), std::string::npos) << text;
  EXPECT_NE(text.find("file=\"t.pvtr\""), std::string::npos) << text;
}
