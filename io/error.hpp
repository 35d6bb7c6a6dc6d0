// Errors and always-on checks.
//
// Libraries never call exit(): they throw one of the typed exceptions below. apps/ catches
// them, prints the message as one line on rank 0 and calls MPI_Abort with a non-zero code.
//
//   IFF_CHECK(nx > 0, "grid.nx must be positive, got " << nx);
//   IFF_CHECK_AS(iff::InputError, ok, "file " << path << " is not an HDF5 file");
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace iff {

/// Base of every ifactflow exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
/// Bad user input: case file key, command-line value, malformed or missing input file.
class InputError : public Error {
 public:
  using Error::Error;
};
/// A configuration key problem (unknown key, wrong type, out of range); names key and file.
class ConfigError : public InputError {
 public:
  using InputError::InputError;
};
/// Failure of an I/O library call (HDF5, VTK, filesystem).
class IOError : public Error {
 public:
  using Error::Error;
};
/// A numerical failure: non-finite state, solver breakdown, energy out of band.
class NumericalError : public Error {
 public:
  using Error::Error;
};
/// A broken internal invariant (a bug, not bad input).
class LogicError : public Error {
 public:
  using Error::Error;
};

}  // namespace iff

#define IFF_CHECK_AS(ExceptionType, cond, msg)        \
  do {                                                \
    if (!(cond)) {                                    \
      std::ostringstream iff_check_stream_;           \
      iff_check_stream_ << msg;                       \
      throw ExceptionType(iff_check_stream_.str());   \
    }                                                 \
  } while (false)

/// Always-on check (also in Release); throws iff::LogicError with the streamed message.
#define IFF_CHECK(cond, msg) IFF_CHECK_AS(::iff::LogicError, cond, msg)
/// Always-on check of user input; throws iff::InputError.
#define IFF_REQUIRE(cond, msg) IFF_CHECK_AS(::iff::InputError, cond, msg)
