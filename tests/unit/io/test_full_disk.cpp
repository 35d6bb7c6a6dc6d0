// A full disk never leaves a file under its final name: the output writers of io/ (series,
// text and byte files, VTK pieces and indices) throw an IOError naming the file and the
// system's reason when the disk fills up, remove their temporary file, and leave an earlier
// file of the same name as it was. The disk is made full by the fault hook at byte budgets
// from nothing to nearly enough (so that the failure falls in every part of a file: the
// HDF5 superblock, the metadata, the chunks, the final flush), and, where mounting is
// allowed, on a real 256 KiB tmpfs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "io/series.hpp"
#include "io/vtk.hpp"
#include "tests/support/full_disk.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;

namespace {

iff::SeriesMeta meta() {
  iff::SeriesMeta m;
  m.n_traj = 2;
  m.dtype = iff::h5::DType::f64;
  m.has_pressure = true;
  for (int i = 0; i < 8; ++i) m.x.push_back(0.5 * i);
  m.y = iff::gauss_lobatto_y(9);
  for (int k = 0; k < 4; ++k) m.z.push_back(0.25 * k);
  m.lx = 4.0;
  m.lz = 1.0;
  return m;
}

/// Writes 10 snapshots of both trajectories (about 190 kB) and closes.
void write_series(const std::string& path, iff::WriteMode mode) {
  const auto m = meta();
  iff::SeriesWriter w(path, m, MPI_COMM_SELF, mode);
  std::vector<double> v(m.snapshot_size() * 2), p(m.snapshot_size() / 3 * 2);
  for (int t = 0; t < 10; ++t) {
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.1 * i + t);
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = std::cos(0.2 * i - t);
    w.write(t, 0.1 * t, iff::SeriesBlock{0, 2, 0, m.nx()}, v.data(), p.data());
  }
  w.close();
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Names in `dir` other than the tmpfs filler.
std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> n;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename() != ".filler") n.push_back(e.path().filename().string());
  std::sort(n.begin(), n.end());
  return n;
}

/// `write` must throw an IOError naming `name` and the full disk.
template <class F>
void expect_full_disk_error(F&& write, const std::string& name, const std::string& context) {
  try {
    write();
    ADD_FAILURE() << context << ": no error on a full disk";
  } catch (const iff::IOError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(name), std::string::npos) << context << ": " << what;
    EXPECT_NE(what.find("No space left on device"), std::string::npos) << context << ": " << what;
  }
}

const unsigned long long kBudgets[] = {0, 40, 200, 1000, 4000, 20000, 60000, 120000, 180000};

}  // namespace

TEST(FullDisk, AtomicSeriesFailsAtEveryPointAndKeepsTheEarlierFile) {
  std::cout << "[full disk: fault hook, ENOSPC after a byte budget]" << std::endl;
  const auto dir = iff::test::temp_dir("fulldisk-series");
  const std::string path = dir + "/s.h5";
  write_series(path, iff::WriteMode::atomic);  // an earlier, complete file
  const std::string before = bytes_of(path);
  for (auto budget : kBudgets) {
    iff::test::FaultHookScope hook(dir, budget);
    expect_full_disk_error([&] { write_series(path, iff::WriteMode::atomic); }, path,
                           "budget " + std::to_string(budget));
    EXPECT_TRUE(hook.refused()) << "budget " << budget;
    // (the earlier series and its XDMF file)
    EXPECT_EQ(names_in(dir), (std::vector<std::string>{"s.h5", "s.xmf"})) << "budget " << budget;
    EXPECT_EQ(bytes_of(path), before) << "the earlier file changed, budget " << budget;
  }
  // the budgets above are smaller than the file: with room, the same write succeeds
  iff::test::FaultHookScope room(dir, 10'000'000);
  write_series(path, iff::WriteMode::atomic);
  EXPECT_FALSE(room.refused());
  iff::SeriesReader r(path);
  EXPECT_EQ(r.n_time(), 10);
}

TEST(FullDisk, InPlaceSeriesReportsTheFailure) {
  const auto dir = iff::test::temp_dir("fulldisk-inplace");
  for (auto budget : kBudgets) {
    iff::test::FaultHookScope hook(dir, budget);
    expect_full_disk_error([&] { write_series(dir + "/run.h5", iff::WriteMode::in_place); }, dir + "/run.h5",
                           "budget " + std::to_string(budget));
  }
}

TEST(FullDisk, TextAndByteFilesKeepTheEarlierFile) {
  const auto dir = iff::test::temp_dir("fulldisk-text");
  iff::write_text_atomic(dir + "/a.csv", "step,t\n0,0\n");
  const std::string big(100000, 'x');
  for (unsigned long long budget : {0ull, 10ull, 50000ull}) {
    iff::test::FaultHookScope hook(dir, budget);
    expect_full_disk_error([&] { iff::write_text_atomic(dir + "/a.csv", big); }, dir + "/a.csv", "text");
    expect_full_disk_error([&] { iff::write_bytes_atomic(dir + "/b.bin", big.data(), big.size()); }, dir + "/b.bin",
                           "bytes");
    EXPECT_EQ(names_in(dir), std::vector<std::string>{"a.csv"});
    EXPECT_EQ(bytes_of(dir + "/a.csv"), "step,t\n0,0\n");
  }
}

namespace {

struct Piece {
  iff::VtkPiece piece;
  std::vector<double> vel;
};

Piece big_piece() {
  Piece p;
  for (int i = 0; i < 32; ++i) p.piece.x.push_back(0.1 * i);
  for (int j = 0; j < 33; ++j) p.piece.y.push_back(-1 + 2.0 * j / 32);
  for (int k = 0; k < 16; ++k) p.piece.z.push_back(0.2 * k);
  p.vel.resize(32 * 33 * 16 * 3);
  std::uint64_t s = 12345;  // values that do not compress away
  for (auto& v : p.vel) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    v = double(s >> 11) / double(1ull << 53);
  }
  return p;
}

void write_vtk_set(const std::string& dir, const Piece& p) {
  iff::write_vtr(dir + "/a.vtr", p.piece, {{"velocity", 3, p.vel.data()}});
  iff::write_pvtr(dir + "/a.pvtr", 32, 33, 16, {p.piece}, {"a.vtr"}, {{"velocity", 3, nullptr}});
  iff::PvdCollection pvd(dir + "/run.pvd");
  pvd.add(0.0, "a.pvtr");
}

}  // namespace

TEST(FullDisk, VtkFilesAreNeverLeftEmptyUnderTheirName) {
  const auto dir = iff::test::temp_dir("fulldisk-vtk");
  const Piece p = big_piece();
  for (unsigned long long budget : {0ull, 100ull, 20000ull, 100000ull}) {
    iff::test::FaultHookScope hook(dir, budget);
    expect_full_disk_error([&] { write_vtk_set(dir, p); }, dir + "/a.vtr", "budget " + std::to_string(budget));
    EXPECT_TRUE(names_in(dir).empty()) << "budget " << budget << ": " << names_in(dir).front();
  }
  // the index files alone, once the piece is in place
  write_vtk_set(dir, p);
  const std::string pvtr = bytes_of(dir + "/a.pvtr");
  {
    iff::test::FaultHookScope hook(dir, 0);
    expect_full_disk_error([&] { iff::write_pvtr(dir + "/a.pvtr", 32, 33, 16, {p.piece}, {"b.vtr"}, {}); },
                           dir + "/a.pvtr", "pvtr");
    iff::PvdCollection pvd(dir + "/run.pvd");
    expect_full_disk_error([&] { pvd.add(1.0, "b.pvtr"); }, dir + "/run.pvd", "pvd");
  }
  EXPECT_EQ(bytes_of(dir + "/a.pvtr"), pvtr);
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{"a.pvtr", "a.vtr", "run.pvd"}));
}

TEST(FullDisk, OnARealTmpfs) {
  const auto dir = iff::test::temp_dir("fulldisk-tmpfs");
  iff::test::Tmpfs disk(dir + "/small", 256);
  if (!disk.mounted()) GTEST_SKIP() << "[full disk: tmpfs not available: " << disk.why() << "]";
  std::cout << "[full disk: a 256 KiB tmpfs]" << std::endl;
  const std::string small = dir + "/small";
  disk.fill(8 * 1024);
  expect_full_disk_error([&] { write_series(small + "/s.h5", iff::WriteMode::atomic); }, small + "/s.h5", "series");
  if (iff::vtk_built())  // a build without VTK has no .vtr writer
    expect_full_disk_error([&] { write_vtk_set(small, big_piece()); }, small + "/a.vtr", "vtk");
  expect_full_disk_error([&] { iff::write_text_atomic(small + "/a.csv", std::string(100000, 'x')); }, small + "/a.csv",
                         "text");
  EXPECT_TRUE(names_in(small).empty()) << names_in(small).front();
}
