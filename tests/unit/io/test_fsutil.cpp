#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/error.hpp"
#include "io/fsutil.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;

TEST(AtomicPath, CommitRenamesAndDestructionDiscards) {
  const auto dir = iff::test::temp_dir("fs");
  {
    iff::AtomicPath p(dir + "/kept.txt");
    std::ofstream(p.temp()) << "x";
    p.commit();
  }
  EXPECT_TRUE(fs::exists(dir + "/kept.txt"));
  std::string temp;
  {
    iff::AtomicPath p(dir + "/lost.txt");
    temp = p.temp();
    std::ofstream(p.temp()) << "x";
  }
  EXPECT_FALSE(fs::exists(dir + "/lost.txt"));
  EXPECT_FALSE(fs::exists(temp));
}

TEST(AtomicPath, WriteTextAtomicChecksTheDirectory) {
  const auto dir = iff::test::temp_dir("fs2");
  iff::write_text_atomic(dir + "/a.txt", "hello\n");
  std::ifstream in(dir + "/a.txt");
  std::string s;
  std::getline(in, s);
  EXPECT_EQ(s, "hello");
  EXPECT_THROW(iff::write_text_atomic(dir + "/missing/a.txt", "x"), iff::InputError);
}
