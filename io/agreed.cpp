#include "io/agreed.hpp"

#include <string>

#include "io/error.hpp"

namespace iff {

namespace {

enum Kind : int { none = 0, config, input, io, numerical, logic };

Kind kind_of(const Error& e) {
  if (dynamic_cast<const ConfigError*>(&e)) return config;
  if (dynamic_cast<const InputError*>(&e)) return input;
  if (dynamic_cast<const IOError*>(&e)) return io;
  if (dynamic_cast<const NumericalError*>(&e)) return numerical;
  return logic;
}

[[noreturn]] void throw_kind(int kind, const std::string& what) {
  switch (kind) {
    case config: throw ConfigError(what);
    case input: throw InputError(what);
    case io: throw IOError(what);
    case numerical: throw NumericalError(what);
    default: throw LogicError(what);
  }
}

}  // namespace

void run_agreed(MPI_Comm comm, const std::function<void()>& step) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (size == 1) {
    step();
    return;
  }
  int kind = none;
  std::string what;
  try {
    step();
  } catch (const Error& e) {
    kind = kind_of(e);
    what = e.what();
  }
  int first = kind != none ? rank : size;
  MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size) return;
  int head[2] = {kind, static_cast<int>(what.size())};
  MPI_Bcast(head, 2, MPI_INT, first, comm);
  what.resize(head[1]);
  MPI_Bcast(what.data(), head[1], MPI_CHAR, first, comm);
  throw_kind(head[0], what);
}

}  // namespace iff
