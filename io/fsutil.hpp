// Filesystem helpers: outputs are written under a temporary name and renamed into place,
// so a reader never sees a half-written file and a failed run leaves no partial output.
// Every write and close is checked: a full disk or a failing device is an IOError naming
// the file and the system's reason, and the final name is then never created.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <string>

namespace iff {

/// Checks that the directory that will hold `path` exists and is writable (InputError
/// naming the path otherwise).
void require_writable_parent(const std::string& path);

/// Checks up front that `path` can be written as a file: its directory exists and is
/// writable, and `path` is not a directory (InputError naming the path otherwise).
void require_output_file(const std::string& path);

/// Creates `dir` (and parents) if needed; InputError when it cannot be created.
void ensure_directory(const std::string& dir);

/// Fixed hidden sibling name ".NAME.partial" of `path`: the work file of an output that a
/// later run resumes (the dataset's). Only the holder of the folder's lock (run_lock.hpp)
/// may use it.
std::string partial_name(const std::string& path);

/// A hidden sibling name of `path` of its own to this process (host, process id and a
/// counter), ending in ".partial": two runs writing the same final file never share it.
std::string unique_partial_name(const std::string& path);

/// Writes `text` to `path` through a temporary file and a rename.
void write_text_atomic(const std::string& path, const std::string& text);
/// Writes `size` bytes to `path` through a temporary file and a rename.
void write_bytes_atomic(const std::string& path, const void* data, std::size_t size);

/// Owns a temporary output path (unique_partial_name): commit() renames it onto the final
/// path; destruction without commit() removes the temporary file.
class AtomicPath {
 public:
  /// One process writes the file.
  explicit AtomicPath(std::string final_path);
  /// The ranks of `comm` write one shared file: rank 0 picks the temporary name and owns it
  /// (renames or removes it); collective.
  AtomicPath(std::string final_path, MPI_Comm comm);
  AtomicPath(const AtomicPath&) = delete;
  AtomicPath& operator=(const AtomicPath&) = delete;
  AtomicPath(AtomicPath&& o) noexcept;
  ~AtomicPath();
  const std::string& temp() const { return temp_; }
  const std::string& final_path() const { return final_; }
  /// Renames the temporary file onto the final path (IOError when it cannot). Call it only
  /// once the file has been closed with its result checked.
  void commit();
  /// Removes the temporary file now.
  void discard();

 private:
  std::string final_, temp_;
  bool owner_ = true;  // only the owning rank renames or removes
  bool done_ = false;
};

}  // namespace iff
