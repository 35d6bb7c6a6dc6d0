// Thin RAII layer over the HDF5 C API (parallel build, Open MPI flavour).
//
// A File opened on a communicator of several ranks uses the MPI-IO driver: creating
// datasets, groups and attributes is collective (every rank calls with the same
// arguments), and slab reads/writes use collective transfers (a rank with nothing to do
// passes an empty count). On MPI_COMM_SELF it is an ordinary serial file.
//
//   auto f = iff::h5::File::create(tmp_path, comm);
//   f.create_dataset("/state/v", {nkx, nkz, ny, 2}, iff::h5::DType::f64);
//   f.write_slab("/state/v", {kx0, 0, 0, 0}, {nkx_local, nkz, ny, 2}, data);
//   f.set_attr("/", "time", t);
#pragma once

#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace iff::h5 {

enum class DType { f32, f64, i64 };
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
  ~Id();
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
  /// Opens an existing file; InputError naming the path when it is missing or not HDF5.
  static File open(const std::string& path, bool writable = false, MPI_Comm comm = MPI_COMM_SELF);
  /// True when `path` exists and has the HDF5 signature.
  static bool is_hdf5(const std::string& path);

  File() = default;
  File(File&&) = default;
  File& operator=(File&&) = default;
  ~File();
  void close();
  void flush();

  const std::string& path() const { return path_; }
  MPI_Comm comm() const { return comm_; }
  bool parallel() const { return parallel_; }
  hid_t id() const { return file_.get(); }

  bool exists(const std::string& object) const;
  void create_group(const std::string& group);
  /// Shape of a dataset (InputError naming file and dataset when absent).
  std::vector<hsize_t> shape(const std::string& dataset) const;
  DType dtype(const std::string& dataset) const;

  /// Creates a dataset; `maxshape` entries of H5S_UNLIMITED make axes extensible, `chunk`
  /// (required then) sets the chunk shape.
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
  Id access_plist() const;  // MPI-IO driver when the communicator has several ranks
  Id open_object(const std::string& object) const;
  Id transfer_plist() const;
  std::string path_;
  MPI_Comm comm_ = MPI_COMM_SELF;
  bool parallel_ = false;
  Id file_;
};

}  // namespace iff::h5
