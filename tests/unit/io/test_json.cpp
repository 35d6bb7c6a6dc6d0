// io/json.hpp: string literals that a JSON parser reads back as the original text.
#include <gtest/gtest.h>

#include "io/json.hpp"

TEST(JsonString, QuotesAndEscapesWhatJsonRequires) {
  EXPECT_EQ(iff::json_string("plain"), "\"plain\"");
  EXPECT_EQ(iff::json_string("a \"b\" c\\d"), "\"a \\\"b\\\" c\\\\d\"");
  EXPECT_EQ(iff::json_string("line\nnext\ttab"), "\"line\\nnext\\ttab\"");
  EXPECT_EQ(iff::json_string(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(iff::json_string("Re_τ π"), "\"Re_τ π\"");  // UTF-8 passes through
  EXPECT_EQ(iff::json_string(""), "\"\"");
}
