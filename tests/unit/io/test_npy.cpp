// .npy reader: format versions, dtypes, and the broken inputs it must reject.
#include <gtest/gtest.h>

#include <cmath>

#include "io/error.hpp"
#include "io/npy.hpp"
#include "tests/support/npy_writer.hpp"
#include "tests/support/test_support.hpp"

using iff::test::write_npy;

TEST(Npy, ReadsFloat32AndFloat64InBothHeaderVersions) {
  const auto dir = iff::test::temp_dir("npy");
  std::vector<float> f(2 * 3 * 4);
  std::vector<double> d(f.size());
  for (std::size_t i = 0; i < f.size(); ++i) {
    f[i] = 0.1f * i - 1.0f;
    d[i] = std::sin(1.0 + i);
  }
  for (int version : {1, 2}) {
    write_npy(dir + "/f.npy", {2, 3, 4}, "<f4", f.data(), f.size() * 4, version);
    write_npy(dir + "/d.npy", {2, 3, 4}, "<f8", d.data(), d.size() * 8, version);
    iff::NpyReader rf(dir + "/f.npy"), rd(dir + "/d.npy");
    EXPECT_EQ(rf.header().shape, (std::vector<std::size_t>{2, 3, 4}));
    EXPECT_EQ(rf.header().word_size, 4);
    EXPECT_EQ(rd.header().word_size, 8);
    std::vector<double> out(5);
    rf.read(7, 5, out.data());
    for (int i = 0; i < 5; ++i) EXPECT_EQ(out[i], static_cast<double>(f[7 + i]));
    rd.read(19, 5, out.data());
    for (int i = 0; i < 5; ++i) EXPECT_EQ(out[i], d[19 + i]);
  }
}

TEST(Npy, RejectsBrokenInputWithTheReason) {
  const auto dir = iff::test::temp_dir("npy-bad");
  std::vector<double> d(24, 1.0);
  auto expect_error = [&](const std::string& path, const std::string& needle) {
    try {
      iff::NpyReader r(path);
      ADD_FAILURE() << path << " accepted";
    } catch (const iff::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  write_npy(dir + "/trunc.npy", {2, 3, 4}, "<f8", d.data(), d.size() * 8, 1, false, 8);
  expect_error(dir + "/trunc.npy", "truncated");
  write_npy(dir + "/be.npy", {2, 3, 4}, ">f8", d.data(), d.size() * 8);
  expect_error(dir + "/be.npy", "big-endian");
  write_npy(dir + "/int.npy", {2, 3, 4}, "<i8", d.data(), d.size() * 8);
  expect_error(dir + "/int.npy", "not floating point");
  write_npy(dir + "/fortran.npy", {2, 3, 4}, "<f8", d.data(), d.size() * 8, 1, true);
  expect_error(dir + "/fortran.npy", "Fortran");
  {
    std::ofstream f(dir + "/junk.npy");
    f << "this is not numpy";
  }
  expect_error(dir + "/junk.npy", "not a .npy");
  expect_error(dir + "/missing.npy", "does not exist");
}
