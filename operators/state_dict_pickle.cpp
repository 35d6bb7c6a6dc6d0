#include "operators/state_dict_pickle.hpp"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/unpickler.h>
#include <torch/serialize.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include "io/error.hpp"

namespace iff::operators {

namespace {

/// How the argument of a pickle opcode is laid out (pickletools' opcode table).
enum class Arg { none, fixed, counted, line, two_lines };

struct OpcodeArg {
  Arg kind = Arg::none;
  int bytes = 0;  ///< fixed: argument size; counted: size of the little-endian length
};

/// Layout of the argument of opcode `op` (protocols 0–5); false for an unknown opcode.
bool opcode_arg(unsigned char op, OpcodeArg& a) {
  switch (op) {
    // no argument
    case '(': case '.': case '0': case '1': case '2': case 'N': case 'Q': case 'R': case 'a': case 'b':
    case 'd': case '}': case 'e': case 'l': case ']': case 'o': case 's': case 't': case ')': case 'u':
    case 0x81: case 0x85: case 0x86: case 0x87: case 0x88: case 0x89: case 0x8f: case 0x90: case 0x91:
    case 0x92: case 0x93: case 0x94: case 0x97: case 0x98:
      a = {Arg::none, 0};
      return true;
    case 0x80: case 'K': case 'h': case 'q': case 0x82:
      a = {Arg::fixed, 1};
      return true;
    case 'M': case 0x83:
      a = {Arg::fixed, 2};
      return true;
    case 'J': case 'j': case 'r': case 0x84:
      a = {Arg::fixed, 4};
      return true;
    case 'G': case 0x95:
      a = {Arg::fixed, 8};
      return true;
    case 0x8a: case 'U': case 0x8c: case 'C':
      a = {Arg::counted, 1};
      return true;
    case 'T': case 'X': case 'B': case 0x8b:
      a = {Arg::counted, 4};
      return true;
    case 0x8d: case 0x8e: case 0x96:
      a = {Arg::counted, 8};
      return true;
    case 'I': case 'L': case 'F': case 'S': case 'V': case 'P': case 'g': case 'p':
      a = {Arg::line, 0};
      return true;
    case 'c': case 'i':
      a = {Arg::two_lines, 0};
      return true;
    default:
      return false;
  }
}

struct Op {
  unsigned char code = 0;
  std::size_t begin = 0, end = 0;  ///< [begin, end) in the pickle, opcode byte included
};

std::uint64_t little_endian(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::vector<Op> opcodes(const std::vector<char>& s) {
  std::vector<Op> ops;
  std::size_t at = 0;
  auto need = [&](std::size_t n) {
    IFF_CHECK_AS(InputError, at + n <= s.size(), "truncated pickle (" << s.size() << " bytes)");
  };
  auto line_end = [&](std::size_t from) {
    const auto* nl = static_cast<const char*>(std::memchr(s.data() + from, '\n', s.size() - from));
    IFF_CHECK_AS(InputError, nl != nullptr, "truncated pickle (" << s.size() << " bytes)");
    return static_cast<std::size_t>(nl - s.data()) + 1;
  };
  while (at < s.size()) {
    Op op;
    op.code = static_cast<unsigned char>(s[at]);
    op.begin = at++;
    OpcodeArg a;
    IFF_CHECK_AS(InputError, opcode_arg(op.code, a),
                 "unknown pickle opcode 0x" << std::hex << int(op.code) << std::dec << " at byte " << op.begin);
    switch (a.kind) {
      case Arg::none: break;
      case Arg::fixed: need(a.bytes), at += a.bytes; break;
      case Arg::counted: {
        need(a.bytes);
        const std::uint64_t n = little_endian(s.data() + at, a.bytes);
        at += a.bytes;
        need(n);
        at += n;
        break;
      }
      case Arg::line: at = line_end(at); break;
      case Arg::two_lines: at = line_end(line_end(at)); break;
    }
    op.end = at;
    ops.push_back(op);
    if (op.code == '.') break;
  }
  return ops;
}

/// Memo index written by a BINPUT, LONG_BINPUT or PUT (−1 for other opcodes).
long memo_put(const std::vector<char>& s, const Op& op) {
  if (op.code == 'q') return static_cast<unsigned char>(s[op.begin + 1]);
  if (op.code == 'r') return static_cast<long>(little_endian(s.data() + op.begin + 1, 4));
  if (op.code == 'p') return std::stol(std::string(s.data() + op.begin + 1, op.end - op.begin - 2));
  return -1;
}

/// Memo index read by a BINGET, LONG_BINGET or GET (−1 for other opcodes).
long memo_get(const std::vector<char>& s, const Op& op) {
  if (op.code == 'h') return static_cast<unsigned char>(s[op.begin + 1]);
  if (op.code == 'j') return static_cast<long>(little_endian(s.data() + op.begin + 1, 4));
  if (op.code == 'g') return std::stol(std::string(s.data() + op.begin + 1, op.end - op.begin - 2));
  return -1;
}

bool is_ordered_dict_global(const std::vector<char>& s, const Op& op) {
  static const std::string name = "collections\nOrderedDict\n";
  return op.code == 'c' && op.end - op.begin - 1 == name.size() &&
         std::equal(name.begin(), name.end(), s.begin() + static_cast<long>(op.begin) + 1);
}

bool is_zip(const std::vector<char>& b) { return b.size() >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4; }

/// Stack depth after each opcode (a MARK counts as one entry); InputError for an opcode whose
/// effect on the stack is not known here.
std::vector<long> stack_depths(const std::vector<char>& s, const std::vector<Op>& ops) {
  std::vector<long> depth(ops.size());
  std::vector<long> marks;
  long d = 0;
  auto to_mark = [&](std::size_t i) {
    IFF_CHECK_AS(InputError, !marks.empty(), "pickle opcode at byte " << ops[i].begin << " without a MARK");
    d = marks.back();
    marks.pop_back();
  };
  for (std::size_t i = 0; i < ops.size(); ++i) {
    switch (ops[i].code) {
      case 0x80: case 'q': case 'r': case 'p': case 0x94: case 'Q': case 0x85: case '.': break;  // no change
      case '(': marks.push_back(d), ++d; break;
      case 't': case 'l': case 'd': to_mark(i), ++d; break;   // the items after the MARK -> one object
      case 'u': case 'e': case 0x90: to_mark(i); break;       // the items after the MARK into the object below
      case 0x86: d -= 1; break;                              // TUPLE2
      case 0x87: d -= 2; break;                              // TUPLE3
      case 'R': case 'b': case 'a': case 0x81: case '0': d -= 1; break;
      case 's': d -= 2; break;
      case 0x93: d -= 1; break;                              // STACK_GLOBAL: module, name -> class
      case 'c': case 'h': case 'j': case 'g': case 'K': case 'M': case 'J': case 0x8a: case 0x8b: case 'G':
      case 'N': case 0x88: case 0x89: case ')': case ']': case '}': case 'X': case 0x8c: case 0x8d: case 'U':
      case 'T': case 'C': case 'B': case 0x8e: case 0x8f: case 'I': case 'L': case 'F': case 'S': case 'V':
      case '2':
        ++d;
        break;
      default:
        IFF_CHECK_AS(InputError, false,
                     "pickle opcode 0x" << std::hex << int(ops[i].code) << std::dec << " at byte " << ops[i].begin
                                        << " is not supported in a state_dict");
    }
    IFF_CHECK_AS(InputError, d >= 0, "pickle stack underflow at byte " << ops[i].begin);
    depth[i] = d;
  }
  (void)s;
  return depth;
}

}  // namespace

std::vector<char> plain_dict_pickle(const std::vector<char>& pickle) {
  const auto ops = opcodes(pickle);
  const auto depth = stack_depths(pickle, ops);
  std::set<long> class_memo;  // memo entries that held collections.OrderedDict
  std::vector<bool> drop(ops.size(), false);
  std::vector<std::size_t> as_dict;  // opcodes replaced by EMPTY_DICT
  auto is_call = [&](std::size_t i) {
    return i + 2 < ops.size() && ops[i + 1].code == ')' && ops[i + 2].code == 'R';
  };
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const bool global = is_ordered_dict_global(pickle, ops[i]);
    const bool get = class_memo.count(memo_get(pickle, ops[i])) > 0;
    if (!global && !get) continue;
    // OrderedDict() -> {}: the class push becomes EMPTY_DICT, the call is dropped; a memo entry
    // stored right after the GLOBAL then holds that dict, and every later OrderedDict() made
    // from it is a fresh EMPTY_DICT too
    std::size_t at = i;
    if (global && i + 1 < ops.size() && memo_put(pickle, ops[i + 1]) >= 0) {
      class_memo.insert(memo_put(pickle, ops[i + 1]));
      at = i + 1;
    }
    IFF_CHECK_AS(InputError, is_call(at),
                 "collections.OrderedDict at byte " << ops[i].begin << " is used other than as OrderedDict()");
    as_dict.push_back(i);
    drop[at + 1] = drop[at + 2] = true;
    i = at + 2;
  }
  // the OrderedDict's instance state (_metadata: module versions) applied by a last BUILD:
  // the opcodes that build the state, and the BUILD, are dropped
  const std::size_t n = ops.size();
  if (!as_dict.empty() && n >= 3 && ops[n - 1].code == '.' && ops[n - 2].code == 'b') {
    const long below = depth[n - 2];  // the dict the state applies to, on top after BUILD
    std::size_t first = n - 2;
    while (first > 0 && depth[first - 1] > below) --first;
    for (std::size_t k = first; k <= n - 2; ++k) drop[k] = true;
  }
  // SETITEM (one key and value; libtorch reads only SETITEMS) -> MARK key value SETITEMS, the
  // MARK where the key's opcodes begin
  std::vector<bool> mark_before(ops.size(), false);
  for (std::size_t k = 0; k < ops.size(); ++k) {
    if (ops[k].code != 's' || drop[k]) continue;
    const long dict = depth[k];  // the dict, on top after SETITEM
    std::size_t key = k;
    while (key > 0 && depth[key - 1] > dict) --key;
    mark_before[key] = true;
  }
  std::vector<char> out;
  out.reserve(pickle.size() + 64);
  std::size_t next_dict = 0;
  for (std::size_t k = 0; k < ops.size(); ++k) {
    if (mark_before[k]) out.push_back('(');
    if (drop[k]) continue;
    if (next_dict < as_dict.size() && as_dict[next_dict] == k) {
      out.push_back('}');
      ++next_dict;
    } else if (ops[k].code == 's') {
      out.push_back('u');
    } else {
      out.insert(out.end(), pickle.begin() + static_cast<long>(ops[k].begin),
                 pickle.begin() + static_cast<long>(ops[k].end));
    }
  }
  return out;
}

c10::IValue read_torch_save_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  IFF_CHECK_AS(InputError, f.good(), "cannot open " << path);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto first_line = [](const std::exception& e) {
    const std::string what = e.what();
    return what.substr(0, what.find('\n'));
  };
  if (!is_zip(bytes)) {
    try {
      return torch::pickle_load(bytes);
    } catch (const std::exception& e) {
      throw InputError("cannot read " + path + " as a file written by torch.save: " + first_line(e));
    }
  }
  try {
    caffe2::serialize::PyTorchStreamReader zip(path);
    auto [data, size] = zip.getRecord("data.pkl");
    const char* p = static_cast<const char*>(data.get());
    const std::vector<char> pickle = plain_dict_pickle(std::vector<char>(p, p + size));
    std::size_t at = 0;
    auto reader = [&](char* buffer, std::size_t n) {
      n = std::min(n, pickle.size() - at);
      std::memcpy(buffer, pickle.data() + at, n);
      at += n;
      return n;
    };
    auto record = [&](const std::string& name) { return std::get<0>(zip.getRecord("data/" + name)); };
    torch::jit::Unpickler unpickler(reader, nullptr, nullptr, record, c10::Device(c10::kCPU));
    unpickler.set_version(zip.version());
    return unpickler.parse_ivalue();
  } catch (const InputError& e) {
    throw InputError("cannot read " + path + ": " + e.what());
  } catch (const std::exception& e) {
    throw InputError("cannot read " + path + " as a file written by torch.save: " + first_line(e));
  }
}

}  // namespace iff::operators
