// A full disk for tests, two ways (each test says which one it used):
//   - the fault hook (tests/support/fault_fs.h): writes under a directory fail with ENOSPC
//     after a number of bytes; for commands through LD_PRELOAD (CTest sets IFF_FAULT_LIB to
//     the library), inside a test program linked to iff_fault_fs through FaultHookScope.
//     Works wherever the tests run: the primary mechanism.
//   - a small tmpfs mounted for the test (as root, where mounting is allowed): a second
//     check on a real file system's ENOSPC; skipped visibly where mounting is refused.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <string>

#include "tests/support/fault_fs.h"

namespace iff::test {

/// "LD_PRELOAD=LIB IFF_FAULT_DIR=dir IFF_FAULT_ENOSPC_AFTER=bytes " to put before a
/// command; "" when CTest did not name the hook library (IFF_FAULT_LIB).
std::string fault_hook_env(const std::string& dir, unsigned long long bytes);
/// The same as options of mpirun ("-x VAR=value ... "), for every rank.
std::string fault_hook_mpirun_options(const std::string& dir, unsigned long long bytes);

/// While alive, writes of this process under `dir` fail after `bytes` bytes; refused()
/// tells whether the hook refused a write since. For test programs linked to iff_fault_fs.
class FaultHookScope {
 public:
  FaultHookScope(const std::string& dir, unsigned long long bytes) : refused_before_(iff_fault_bytes_refused()) {
    setenv("IFF_FAULT_DIR", dir.c_str(), 1);
    setenv("IFF_FAULT_ENOSPC_AFTER", std::to_string(bytes).c_str(), 1);
  }
  ~FaultHookScope() {
    unsetenv("IFF_FAULT_DIR");
    unsetenv("IFF_FAULT_ENOSPC_AFTER");
  }
  FaultHookScope(const FaultHookScope&) = delete;
  FaultHookScope& operator=(const FaultHookScope&) = delete;
  bool refused() const { return iff_fault_bytes_refused() > refused_before_; }

 private:
  unsigned long long refused_before_ = 0;
};

/// A tmpfs of `kib` KiB mounted on `dir` (created) for the lifetime of the object.
class Tmpfs {
 public:
  Tmpfs(const std::string& dir, int kib);
  ~Tmpfs();
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
  bool mounted() const { return mounted_; }
  /// Why mounting failed ("" when mounted).
  const std::string& why() const { return why_; }
  /// Writes a filler file until at most `free_bytes` bytes are left.
  void fill(std::size_t free_bytes);

 private:
  std::string dir_, why_;
  bool mounted_ = false;
};

}  // namespace iff::test
