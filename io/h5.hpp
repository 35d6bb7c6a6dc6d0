// Thin RAII layer over the HDF5 C API (parallel build, Open MPI flavour).
//
// A File opened on a communicator of several ranks uses the MPI-IO driver: creating
// datasets, groups and attributes is collective (every rank calls with the same
// arguments), and slab reads/writes use collective transfers (a rank with nothing to do
// passes an empty count). On MPI_COMM_SELF it is an ordinary serial file.
//
// Writes, extensions, flushes and the close are checked: a failure (a full disk, which HDF5
// may only see when its caches are written at a flush or the close) is an IOError naming the
// file and the system's reason. On a parallel file every rank learns of a write, flush or
// close that failed on any rank and throws with it, so the ranks fail together. close() is
// the only way to finish a written file: the destructor closes without checking (it runs
// while an error unwinds) and an output closed that way must not be renamed into place.
//
//   iff::AtomicPath out(final_path, comm);
//   auto f = iff::h5::File::create(out, comm);
//   f.create_dataset("/state/v", {nkx, nkz, ny, 2}, iff::h5::DType::f64);
//   f.write_slab("/state/v", {kx0, 0, 0, 0}, {nkx_local, nkz, ny, 2}, data);
//   f.set_attr("/", "time", t);
//   f.close();      // checked
//   out.commit();   // renamed into place only now
#pragma once

#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/enum_names.hpp"
#include "io/fsutil.hpp"

namespace iff::h5 {

enum class DType { f32, f64, i64 };
/// The floating-point dtypes a series may hold, as case keys spell them.
inline const EnumNames<DType> kFloatDTypeNames{{DType::f32, "f32"}, {DType::f64, "f64"}};

/// Whether this process has abandoned a parallel file after a failed write (File::close and
/// the destructor leave it open: its collective close would hang HDF5 1.10). MPI_Finalize
/// closes what is open and would hang too, so a command that failed then ends with MPI_Abort.
bool parallel_file_abandoned();
std::string to_string(DType t);

/// Owns one hid_t and closes it with the matching H5*close.
class Id {
 public:
  Id() = default;
  Id(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  Id(Id&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Id& operator=(Id&& o) noexcept;
  /// Closes without checking.
  ~Id();
  /// Closes now and returns the closer's result (negative on failure; 0 when empty).
  herr_t release();
  /// Gives the id up without closing it.
  void abandon() { id_ = -1; }
  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
  herr_t (*closer_)(hid_t) = nullptr;
};

class File {
 public:
  /// Creates (truncates) `path`; collective over `comm`.
  static File create(const std::string& path, MPI_Comm comm = MPI_COMM_SELF);
  /// Creates the temporary file of an atomic output; messages name its final path.
  static File create(const AtomicPath& target, MPI_Comm comm = MPI_COMM_SELF);
  /// Opens an existing file; InputError naming the path when it is missing or not HDF5.
  static File open(const std::string& path, bool writable = false, MPI_Comm comm = MPI_COMM_SELF);
  /// True when `path` exists and has the HDF5 signature.
  static bool is_hdf5(const std::string& path);

  File() = default;
  File(File&&) = default;
  File& operator=(File&&) = default;
  /// Closes without checking (error paths); a written file is finished with close().
  ~File();
  /// Flushes and closes, checked (IOError naming the file and the reason); collective.
  void close();
  /// Writes HDF5's caches to the file, checked; collective.
  void flush();

  /// The file's path (the final one for an atomic output), as messages name it.
  const std::string& path() const { return path_; }
  /// Where the open file now is on disk, after its temporary name was renamed (rank 0's
  /// space reservations open it by name).
  void set_disk_path(const std::string& path) { disk_path_ = path; }
  MPI_Comm comm() const { return comm_; }
  bool parallel() const { return parallel_; }
  hid_t id() const { return file_.get(); }

  bool exists(const std::string& object) const;
  void create_group(const std::string& group);
  /// Shape of a dataset (InputError naming file and dataset when absent).
  std::vector<hsize_t> shape(const std::string& dataset) const;
  DType dtype(const std::string& dataset) const;
  /// Whether `dataset` has its storage allocated at creation and growth (create_dataset),
  /// as collective writes need: a chunked dataset of a serial file written by an older
  /// version gets its chunks as they are written, and HDF5's MPI-IO writes cannot allocate
  /// the missing ones.
  bool allocated_early(const std::string& dataset) const;

  /// Creates a dataset; `maxshape` entries of H5S_UNLIMITED make axes extensible, `chunk`
  /// (required then) sets the chunk shape. Its storage is allocated now and as it grows,
  /// whatever the communicator: a file begun by one rank can be written by several.
  void create_dataset(const std::string& dataset, const std::vector<hsize_t>& shape, DType type,
                      const std::vector<hsize_t>& maxshape = {}, const std::vector<hsize_t>& chunk = {});
  /// Grows an extensible dataset to `shape` (collective).
  void extend(const std::string& dataset, const std::vector<hsize_t>& shape);

  /// Writes the block [offset, offset+count) from `data` (row-major, double in memory,
  /// converted to the file type). Collective on a parallel file.
  void write_slab(const std::string& dataset, const std::vector<hsize_t>& offset,
                  const std::vector<hsize_t>& count, const double* data);
  void read_slab(const std::string& dataset, const std::vector<hsize_t>& offset,
                 const std::vector<hsize_t>& count, double* data) const;
  void write_slab_i64(const std::string& dataset, const std::vector<hsize_t>& offset,
                      const std::vector<hsize_t>& count, const std::int64_t* data);
  void read_slab_i64(const std::string& dataset, const std::vector<hsize_t>& offset,
                     const std::vector<hsize_t>& count, std::int64_t* data) const;

  /// Whole-dataset helpers (small arrays: grids, profiles). write_* creates the dataset;
  /// every rank passes the same data, rank 0's lands.
  void write_vector(const std::string& dataset, const std::vector<double>& data,
                    const std::vector<hsize_t>& shape = {}, DType type = DType::f64);
  std::vector<double> read_vector(const std::string& dataset, std::vector<hsize_t>* shape = nullptr) const;

  /// Parallel files only (collective; every rank passes the same value): before an HDF5
  /// call that may write, rank 0 reserves disk space for what the file may then hold (the
  /// datasets allocated so far, `allocated` bytes more that the call allocates, and room for
  /// metadata), and every rank throws IOError when it cannot. HDF5 1.10 hangs in its
  /// collective flush when a write fails on one rank (a full disk), so a parallel write
  /// fails here, before HDF5 is entered. Every writing call of File makes it.
  void reserve(std::uint64_t allocated) const;

  /// Attributes of `object` ("/" for the root).
  void set_attr(const std::string& object, const std::string& name, const std::string& value);
  void set_attr(const std::string& object, const std::string& name, double value);
  void set_attr(const std::string& object, const std::string& name, std::int64_t value);
  void set_attr(const std::string& object, const std::string& name, const std::vector<double>& value);
  bool has_attr(const std::string& object, const std::string& name) const;
  std::string attr_string(const std::string& object, const std::string& name) const;
  double attr_double(const std::string& object, const std::string& name) const;
  std::int64_t attr_int(const std::string& object, const std::string& name) const;
  std::vector<double> attr_vector(const std::string& object, const std::string& name) const;
  /// Names of the attributes of `object`.
  std::vector<std::string> attr_names(const std::string& object) const;

 private:
  File(const std::string& path, MPI_Comm comm);
  static File create_as(const std::string& path, const std::string& shown, MPI_Comm comm);
  // throws the failure of a collective write step on every rank (the first failing rank's
  // message); a parallel file that failed is then abandoned, not closed
  void agree(bool ok, const std::string& what, const std::string& reason) const;
  void slab_io(const std::string& dataset, const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count,
               hid_t memtype, const void* wdata, void* rdata, hid_t xfer) const;
  Id access_plist() const;  // MPI-IO driver when the communicator has several ranks
  Id open_object(const std::string& object) const;
  Id transfer_plist() const;
  // HDF5 1.10 cannot close a file whose last flush fails: the failed H5Fclose frees the
  // file but keeps its id, and the library's shutdown (at MPI_Finalize) then crashes on it.
  // A serial file that cannot be flushed therefore has its descriptor pointed at an
  // anonymous memory file first, so that its close succeeds and writes nowhere.
  // `reason`: why the flush failed (the errno text of the failed write).
  bool flush_or_divert(std::string* reason = nullptr);
  std::string path_;       // as messages name it
  std::string disk_path_;  // where it is (the temporary name of an atomic output)
  MPI_Comm comm_ = MPI_COMM_SELF;
  bool parallel_ = false;
  bool writable_ = false;
  mutable bool failed_ = false;  // a collective write step failed (parallel files)
  mutable std::uint64_t allocated_end_ = 0;  // rank 0: the end of what HDF5 has allocated
  Id file_;
};

}  // namespace iff::h5
