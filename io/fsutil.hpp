// Filesystem helpers: outputs are written under a temporary name and renamed into place,
// so a reader never sees a half-written file and a failed run leaves no partial output.
#pragma once

#include <string>

namespace iff {

/// Checks that the directory that will hold `path` exists and is writable (InputError
/// naming the path otherwise).
void require_writable_parent(const std::string& path);

/// Creates `dir` (and parents) if needed; InputError when it cannot be created.
void ensure_directory(const std::string& dir);

/// Temporary sibling name used while `path` is being written.
std::string partial_name(const std::string& path);

/// Writes `text` to `path` through a temporary file and a rename.
void write_text_atomic(const std::string& path, const std::string& text);

/// Owns a temporary output path: commit() renames it onto the final path; destruction
/// without commit() removes the temporary file.
class AtomicPath {
 public:
  explicit AtomicPath(std::string final_path, bool owner = true);
  AtomicPath(const AtomicPath&) = delete;
  AtomicPath& operator=(const AtomicPath&) = delete;
  AtomicPath(AtomicPath&& o) noexcept;
  ~AtomicPath();
  const std::string& temp() const { return temp_; }
  const std::string& final_path() const { return final_; }
  void commit();
  /// Removes the temporary file now.
  void discard();

 private:
  std::string final_, temp_;
  bool owner_ = true;  // only the owning rank renames or removes
  bool done_ = false;
};

}  // namespace iff
