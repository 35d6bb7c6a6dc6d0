// A bounded, seeded mutation fuzzer over the inputs other people's runs hand ifactflow: the
// .npy header parser, the YAML case loader (with the DNS case's typed reads) and the series
// reader. Every mutated input either reads or fails with an iff::Error whose message is one
// non-empty line; anything else (another exception, a crash, a hang — caught by the test's
// timeout) is a failure. IFF_FUZZ_CASES sets the cases per target (default 10,000), and
// IFF_FUZZ_SEED the seed (default 1); the summary line says both.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <typeinfo>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "io/config.hpp"
#include "io/error.hpp"
#include "io/h5.hpp"
#include "io/npy.hpp"
#include "io/series.hpp"
#include "solvers/channel_dns.hpp"
#include "tests/support/test_support.hpp"

namespace {

long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atol(v) : fallback;
}

const long kCases = env_long("IFF_FUZZ_CASES", 10000);
const unsigned kSeed = static_cast<unsigned>(env_long("IFF_FUZZ_SEED", 1));

/// Outcome counts of one target.
struct Tally {
  long read = 0, refused = 0;
  std::vector<std::string> bad;  ///< what went wrong, with the case number
  void run(long c, const std::function<void()>& f) {
    try {
      f();
      ++read;
    } catch (const iff::Error& e) {
      const std::string m = e.what();
      if (m.empty() || m.find('\n') != std::string::npos)
        bad.push_back("case " + std::to_string(c) + ": not one line: '" + m + "'");
      else
        ++refused;
    } catch (const std::exception& e) {
      bad.push_back("case " + std::to_string(c) + ": " + typeid(e).name() + ": " + e.what());
    }
  }
  void report(const char* target) const {
    std::printf("fuzz %s: %ld cases (seed %u): %ld read, %ld refused in one line, %zu mishandled\n", target,
                read + refused + static_cast<long>(bad.size()), kSeed, read, refused, bad.size());
    for (std::size_t i = 0; i < bad.size() && i < 10; ++i) ADD_FAILURE() << target << " " << bad[i];
  }
};

/// A random edit of `s`: flip, insert, delete, duplicate or truncate bytes, or splice in one
/// of `tokens`.
std::string mutate(std::string s, std::mt19937& rng, const std::vector<std::string>& tokens,
                   std::size_t from = 0) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    if (s.size() <= from) {
      s += tokens[rng() % tokens.size()];
      continue;
    }
    const std::size_t at = from + rng() % (s.size() - from);
    switch (rng() % 7) {
      case 0: s[at] = static_cast<char>(rng() % 256); break;
      case 1: s.insert(at, 1, static_cast<char>(rng() % 256)); break;
      case 2: s.erase(at, 1 + rng() % 8); break;
      case 3: s.insert(at, s.substr(at, 1 + rng() % 16)); break;
      case 4: s.resize(at); break;
      default: {
        const std::string& t = tokens[rng() % tokens.size()];
        s.replace(at, std::min<std::size_t>(rng() % 12, s.size() - at), t);
      }
    }
  }
  return s;
}

std::string npy_bytes(int version, const std::string& dict, const std::vector<double>& data) {
  std::string d = dict;
  const std::size_t pre = version == 1 ? 10 : 12;
  d += std::string((64 - (pre + d.size() + 1) % 64) % 64, ' ') + "\n";
  std::string b = "\x93NUMPY";
  b += static_cast<char>(version);
  b += '\0';
  if (version == 1) {
    b += static_cast<char>(d.size() & 0xff);
    b += static_cast<char>((d.size() >> 8) & 0xff);
  } else {
    for (int k = 0; k < 4; ++k) b += static_cast<char>((d.size() >> (8 * k)) & 0xff);
  }
  b += d;
  b.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(double));
  return b;
}

}  // namespace

TEST(Fuzz, NpyHeaderParser) {
  const auto dir = iff::test::temp_dir("fuzz_npy");
  std::vector<double> data(2 * 3 * 4 * 3, 0.25);
  const std::vector<std::string> bases = {
      npy_bytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1, 3, 4, 1, 3), }", data),
      npy_bytes(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 3, 4, 1, 3), }", data),
      npy_bytes(3, "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (2, 3, 4, 3)}", data)};
  const std::vector<std::string> tokens = {"'<f4'", "'>f8'", "'<i8'", "True", "(", ")", ",", "-1", "0",
                                           "99999999999999999999", "18446744073709551615", "'shape'", "'descr'",
                                           "{", "}", "\n", "\x93NUMPY", "nan", "  ", "\"", "'"};
  std::mt19937 rng(kSeed);
  Tally t;
  const std::string path = dir + "/case.npy";
  for (long c = 0; c < kCases; ++c) {
    const std::string& base = bases[c % bases.size()];
    // header region mostly, the data sometimes (truncation)
    const std::string bytes = mutate(base, rng, tokens, rng() % 4 == 0 ? 0 : 8);
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    t.run(c, [&] {
      iff::NpyReader r(path);
      const std::size_t n = std::min<std::size_t>(r.header().elements(), 64);
      std::vector<double> out(n);
      r.read(0, n, out.data());
    });
  }
  t.report("npy header");
  EXPECT_GT(t.refused, kCases / 4) << "the mutations should break most headers";
}

TEST(Fuzz, YamlCaseLoader) {
  std::ifstream in(std::string(IFF_SOURCE_DIR) + "/cases/demo/dns.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string base = ss.str();
  ASSERT_FALSE(base.empty());
  const std::vector<std::string> tokens = {"nan", ".inf", "-1", "0", "1e400", "[1, 2]", "{a: 1}", "~", "\"x\"",
                                           ": ", "\n  ", "\n", "- ", "grid:", "time:", "dt: ", "nx: ", "&a", "*a",
                                           "!!str ", "'", "\"", "#", "\t", "steps: 1e9", "type: restart"};
  std::mt19937 rng(kSeed + 1);
  Tally t;
  for (long c = 0; c < kCases; ++c) {
    const std::string text = mutate(base, rng, tokens);
    t.run(c, [&] {
      auto cfg = iff::Config::from_string(text, "case.yaml");
      const auto p = iff::solvers::DnsParams::from(cfg);
      cfg.reject_unknown();
      (void)p;
    });
  }
  t.report("yaml case");
  EXPECT_GT(t.read, 0) << "some mutations should leave a valid case";
  EXPECT_GT(t.refused, 0);
}

TEST(Fuzz, SeriesReader) {
  const auto dir = iff::test::temp_dir("fuzz_series");
  // structural mutations of a valid series: datasets dropped, reshaped or retyped, attributes
  // of the wrong type or value, non-finite coordinates and times
  std::mt19937 rng(kSeed + 2);
  Tally t;
  const long cases = std::max<long>(kCases / 5, 1);  // each case writes an HDF5 file
  const std::string path = dir + "/case.h5";
  const double kBad[] = {NAN, INFINITY, -1.0, 0.0, 1e300, -1e-300};
  for (long c = 0; c < cases; ++c) {
    {
      auto f = iff::h5::File::create(path);
      const int nx = 1 + rng() % 4, ny = 2 + rng() % 4, nz = 1 + rng() % 3, nt = rng() % 3, ntraj = 1 + rng() % 2;
      std::vector<double> x(nx), y(ny), z(nz), time(nt);
      for (int i = 0; i < nx; ++i) x[i] = i;
      for (int j = 0; j < ny; ++j) y[j] = -std::cos(M_PI * j / (ny - 1));
      for (int k = 0; k < nz; ++k) z[k] = 0.5 * k;
      for (int i = 0; i < nt; ++i) time[i] = 0.5 * i;
      auto spoil = [&](std::vector<double>& v) {
        if (!v.empty() && rng() % 24 == 0) v[rng() % v.size()] = kBad[rng() % 6];
        if (rng() % 24 == 0) v.resize(rng() % (v.size() + 2));
      };
      spoil(x), spoil(y), spoil(z), spoil(time);
      std::vector<hsize_t> shape = {hsize_t(ntraj), hsize_t(nt), hsize_t(nx), hsize_t(ny), hsize_t(nz), 3};
      if (rng() % 16 == 0) shape[rng() % 6] = rng() % 5;
      if (rng() % 32 == 0) shape.pop_back();
      if (rng() % 20 != 0) {
        f.create_dataset("/velocity", shape, rng() % 20 == 0 ? iff::h5::DType::i64 : iff::h5::DType::f32);
      }
      if (rng() % 20 != 0) f.write_vector("/grid/x", x);
      if (rng() % 20 != 0) f.write_vector("/grid/y", y);
      if (rng() % 20 != 0) f.write_vector("/grid/z", z);
      if (rng() % 20 != 0) f.write_vector("/time", time);
      if (rng() % 16 == 0) f.create_dataset("/pressure", {hsize_t(rng() % 3), 1}, iff::h5::DType::f64);
      for (const char* a : {"lx", "lz", "nu", "re_tau", "ly"}) {
        switch (rng() % 16) {
          case 0: break;
          case 1: f.set_attr("/", a, std::string("not a number")); break;
          case 2: f.set_attr("/", a, kBad[rng() % 6]); break;
          default: f.set_attr("/", a, a[1] == 'x' ? 4.0 : a[1] == 'z' ? 1.5 : 0.01);
        }
      }
      if (rng() % 2) f.set_attr("/", "kind", rng() % 4 ? std::string("dns") : std::string(""));
      if (rng() % 16 == 0) f.set_attr("/", "kind", 3.0);
      if (rng() % 16 == 0) f.set_attr("/", "units", std::vector<double>{1, 2});
    }
    t.run(c, [&] {
      iff::SeriesReader r(path);
      for (int tr = 0; tr < r.meta().n_traj; ++tr)
        for (int ti = 0; ti < r.n_time(); ++ti) r.read_velocity(tr, ti);
    });
  }
  t.report("series reader");
  EXPECT_GT(t.read, 0);
  EXPECT_GT(t.refused, 0);
}
