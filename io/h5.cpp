#include "io/h5.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <numeric>
#include <vector>

#include "io/comm.hpp"
#include "io/error.hpp"

namespace iff::h5 {

namespace {

hid_t file_type(DType t) {
  switch (t) {
    case DType::f32: return H5T_IEEE_F32LE;
    case DType::f64: return H5T_IEEE_F64LE;
    case DType::i64: return H5T_STD_I64LE;
  }
  return H5T_IEEE_F64LE;
}

/// Switches HDF5's own error printing off for the process, once: every failure is reported
/// by ifactflow itself in one line (and with printing on, HDF5 1.10 loops at its shutdown
/// after some failed calls: "infinite loop closing library").
void silence_errors() {
  static const bool once = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)once;
}

/// The system's reason for the HDF5 call that just failed (its error stack holds the errno
/// text of a failed read or write, e.g. "No space left on device"), else the innermost
/// HDF5 message. Call before any other HDF5 call replaces the stack.
std::string failure_reason() {
  auto visit = [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
    auto* out = static_cast<std::pair<std::string, std::string>*>(data);
    const std::string d = e->desc ? e->desc : "";
    const auto at = d.find("error message = '");
    if (at != std::string::npos && out->first.empty()) {
      const auto from = at + 17;
      out->first = d.substr(from, d.find('\'', from) - from);
    }
    if (out->second.empty() && !d.empty()) out->second = d;
    return 0;
  };
  std::pair<std::string, std::string> found;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, visit, &found);  // innermost first
  if (!found.first.empty()) return found.first;
  return found.second.empty() ? std::string("HDF5 error") : found.second;
}

}  // namespace

namespace {
std::atomic<bool> g_abandoned{false};
}  // namespace

bool parallel_file_abandoned() { return g_abandoned; }

std::string to_string(DType t) {
  switch (t) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::i64: return "int64";
  }
  return "?";
}

Id& Id::operator=(Id&& o) noexcept {
  if (this != &o) {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = o.id_;
    closer_ = o.closer_;
    o.id_ = -1;
  }
  return *this;
}

Id::~Id() {
  if (id_ >= 0 && closer_) closer_(id_);
}

herr_t Id::release() {
  herr_t rc = 0;
  if (id_ >= 0 && closer_) rc = closer_(id_);
  id_ = -1;
  return rc;
}

void File::agree(bool ok, const std::string& what, const std::string& reason) const {
  if (parallel_) {
    // every rank throws the first failing rank's error (and the file is abandoned: HDF5
    // 1.10 cannot close a parallel file after a failed write without hanging)
    int size = 1, rank = 0;
    MPI_Comm_size(comm_, &size);
    MPI_Comm_rank(comm_, &rank);
    int first = ok ? size : rank;
    MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm_);
    if (first == size) return;
    failed_ = true;
    throw IOError(broadcast_text(ok ? std::string() : what + ": " + reason, comm_, first));
  }
  if (!ok) throw IOError(what + ": " + reason);
}

bool File::is_hdf5(const std::string& path) {
  silence_errors();
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  return H5Fis_hdf5(path.c_str()) > 0;
}

File::File(const std::string& path, MPI_Comm comm)
    : path_(path), disk_path_(path), comm_(comm), parallel_(comm_size(comm) > 1) {}

Id File::access_plist() const {
  Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (parallel_) H5Pset_fapl_mpio(fapl.get(), comm_, MPI_INFO_NULL);
  return fapl;
}

File File::create(const std::string& path, MPI_Comm comm) { return create_as(path, path, comm); }

File File::create(const AtomicPath& target, MPI_Comm comm) {
  return create_as(target.temp(), target.final_path(), comm);
}

void File::reserve(std::uint64_t allocated) const {
  if (!parallel_ || !writable_) return;
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  bool ok = true;
  std::string reason;
  if (rank == 0) {
    // The space HDF5 may write before the next reservation: the datasets allocated so far
    // (a dataset's chunks are allocated when it is created or grows, and the file's end
    // follows only as they are written), the new allocation, and room for the
    // metadata written at flushes. Its own end of allocation is not available through the
    // MPI-IO driver, so the allocations are counted here.
    struct stat st {};
    const int fd = ::open(disk_path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0 && ::fstat(fd, &st) == 0) {
      const auto size = static_cast<std::uint64_t>(st.st_size);
      allocated_end_ = std::max(allocated_end_, size) + allocated;
      const std::uint64_t end = allocated_end_ + (128u << 10) + allocated / 64;
      // reserved past the end without moving it: the file's size stays what was written
      if (end > size && ::fallocate(fd, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(size), static_cast<off_t>(end - size)) != 0) {
        // a file system without reservations (EOPNOTSUPP) is written unreserved
        if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG || errno == EIO) {
          ok = false;
          reason = std::strerror(errno);
        }
      }
    }
    if (fd >= 0) ::close(fd);
  }
  agree(ok, "cannot write " + path_, reason);
}

File File::create_as(const std::string& path, const std::string& shown, MPI_Comm comm) {
  silence_errors();
  File f(shown, comm);
  f.disk_path_ = path;
  Id fapl = f.access_plist();
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  IFF_CHECK_AS(IOError, id >= 0, "cannot create HDF5 file " << shown << ": " << failure_reason());
  f.file_ = Id(id, H5Fclose);
  f.writable_ = true;
  return f;
}

File File::open(const std::string& path, bool writable, MPI_Comm comm) {
  silence_errors();
  {
    std::ifstream probe(path, std::ios::binary);
    IFF_CHECK_AS(InputError, probe.good(), "file " << path << " does not exist or cannot be read");
  }
  IFF_CHECK_AS(InputError, is_hdf5(path), "file " << path << " is not an HDF5 file");
  File f(path, comm);
  Id fapl = f.access_plist();
  hid_t id = H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl.get());
  IFF_CHECK_AS(InputError, id >= 0, "cannot open HDF5 file " << path << (writable ? " for writing" : ""));
  f.file_ = Id(id, H5Fclose);
  f.writable_ = writable;
  return f;
}

File::~File() {
  if (!file_) return;
  if (parallel_ && failed_) {
    file_.abandon();  // its collective close would hang (HDF5 1.10); the command aborts the job
    g_abandoned = true;
    return;
  }
  if (writable_ && !parallel_) flush_or_divert();
  file_ = Id();
}

bool File::flush_or_divert(std::string* reason) {
  if (H5Fflush(file_.get(), H5F_SCOPE_LOCAL) >= 0) return true;
  if (reason) *reason = failure_reason();  // before the calls below replace the error stack
  void* handle = nullptr;
  Id fapl(H5Fget_access_plist(file_.get()), H5Pclose);
  if (H5Pget_driver(fapl.get()) != H5FD_SEC2 || H5Fget_vfd_handle(file_.get(), fapl.get(), &handle) < 0 || !handle)
    return false;
  const int fd = *static_cast<int*>(handle);
  const int sink = ::memfd_create("ifactflow-discarded", MFD_CLOEXEC);
  if (sink < 0) return false;
  struct stat st {};
  const bool diverted = ::fstat(fd, &st) == 0 && ::ftruncate(sink, st.st_size) == 0 && ::dup2(sink, fd) == fd;
  ::close(sink);
  // after a failed flush HDF5 1.10 keeps its cache's skip list enabled, and the next flush
  // fails on that ("slist already enabled?") while it writes the entries and resets it:
  // two flushes into the memory file leave a file that closes
  if (diverted)
    for (int i = 0; i < 2; ++i) H5Fflush(file_.get(), H5F_SCOPE_LOCAL);
  return false;
}

void File::close() {
  if (!file_) return;
  IFF_CHECK_AS(IOError, !(parallel_ && failed_), "cannot close " << path_ << ": an earlier write to it failed");
  const std::string what = "cannot close " + path_ + " (the file is incomplete)";
  // the caches hold what is not yet written (a full disk may show only here)
  if (writable_) {
    reserve(0);
    std::string reason;
    const bool ok = parallel_ ? H5Fflush(file_.get(), H5F_SCOPE_LOCAL) >= 0 : flush_or_divert(&reason);
    agree(ok, what, ok ? "" : (parallel_ ? failure_reason() : reason));
  }
  const bool ok = file_.release() >= 0;
  agree(ok, what, ok ? "" : failure_reason());
}

void File::flush() {
  if (!file_) return;
  reserve(0);
  const bool ok = H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) >= 0;
  agree(ok, "cannot write " + path_, ok ? "" : failure_reason());
}

bool File::exists(const std::string& object) const {
  if (object == "/") return true;
  // check each path component so that a missing parent is not an error
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = object.find('/', pos + 1);
    partial = object.substr(0, pos);
    if (partial.empty() || partial == "/") continue;
    if (H5Lexists(file_.get(), partial.c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return true;
}

void File::create_group(const std::string& group) {
  if (exists(group)) return;
  reserve(0);
  Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Id g(H5Gcreate2(file_.get(), group.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  IFF_CHECK_AS(IOError, static_cast<bool>(g), "cannot create group " << group << " in " << path_);
  IFF_CHECK_AS(IOError, g.release() >= 0, "cannot create group " << group << " in " << path_ << ": " << failure_reason());
}

Id File::open_object(const std::string& object) const {
  IFF_CHECK_AS(InputError, exists(object), "file " << path_ << " has no " << object);
  hid_t id = H5Oopen(file_.get(), object.c_str(), H5P_DEFAULT);
  IFF_CHECK_AS(InputError, id >= 0, "file " << path_ << ": cannot open " << object);
  return Id(id, H5Oclose);
}

std::vector<hsize_t> File::shape(const std::string& dataset) const {
  IFF_CHECK_AS(InputError, exists(dataset), "file " << path_ << " has no dataset " << dataset);
  Id d(H5Dopen2(file_.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  IFF_CHECK_AS(InputError, static_cast<bool>(d), "file " << path_ << ": " << dataset << " is not a dataset");
  Id s(H5Dget_space(d.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(s.get());
  std::vector<hsize_t> dims(rank > 0 ? rank : 0);
  if (rank > 0) H5Sget_simple_extent_dims(s.get(), dims.data(), nullptr);
  return dims;
}

bool File::allocated_early(const std::string& dataset) const {
  Id d(H5Dopen2(file_.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  IFF_CHECK_AS(InputError, static_cast<bool>(d), "file " << path_ << " has no dataset " << dataset);
  Id dcpl(H5Dget_create_plist(d.get()), H5Pclose);
  H5D_alloc_time_t t = H5D_ALLOC_TIME_DEFAULT;
  return H5Pget_alloc_time(dcpl.get(), &t) >= 0 && t == H5D_ALLOC_TIME_EARLY;
}

DType File::dtype(const std::string& dataset) const {
  Id d(H5Dopen2(file_.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  IFF_CHECK_AS(InputError, static_cast<bool>(d), "file " << path_ << " has no dataset " << dataset);
  Id t(H5Dget_type(d.get()), H5Tclose);
  const H5T_class_t c = H5Tget_class(t.get());
  const size_t size = H5Tget_size(t.get());
  if (c == H5T_FLOAT) return size == 4 ? DType::f32 : DType::f64;
  IFF_CHECK_AS(InputError, c == H5T_INTEGER, "file " << path_ << ": " << dataset << " is not numeric");
  return DType::i64;
}

void File::create_dataset(const std::string& dataset, const std::vector<hsize_t>& shape, DType type,
                          const std::vector<hsize_t>& maxshape, const std::vector<hsize_t>& chunk) {
  reserve(  // (the dataset's space is allocated now)
      std::accumulate(shape.begin(), shape.end(), hsize_t{1}, std::multiplies<>()) * H5Tget_size(file_type(type)));
  Id space(H5Screate_simple(static_cast<int>(shape.size()), shape.data(),
                            maxshape.empty() ? nullptr : maxshape.data()),
           H5Sclose);
  Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!chunk.empty()) H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
  // storage allocated when the dataset is created or grows, on a serial file too: HDF5's
  // MPI-IO writes cannot allocate a chunk (one that a serial writer's default, allocation
  // as written, left unallocated has no address and its write fails with EINVAL), so a file
  // begun by one rank could not be continued by several. Nothing is written at allocation
  // (no fill value is set).
  H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY);
  Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Id d(H5Dcreate2(file_.get(), dataset.c_str(), file_type(type), space.get(), lcpl.get(), dcpl.get(),
                  H5P_DEFAULT),
       H5Dclose);
  IFF_CHECK_AS(IOError, static_cast<bool>(d), "cannot create dataset " << dataset << " in " << path_);
  IFF_CHECK_AS(IOError, d.release() >= 0,
               "cannot create dataset " << dataset << " in " << path_ << ": " << failure_reason());
}

void File::extend(const std::string& dataset, const std::vector<hsize_t>& shape) {
  Id d(H5Dopen2(file_.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  IFF_CHECK_AS(IOError, static_cast<bool>(d), "file " << path_ << " has no dataset " << dataset);
  {
    const auto old_shape = this->shape(dataset);
    Id t(H5Dget_type(d.get()), H5Tclose);
    const auto count = [](const std::vector<hsize_t>& v) {
      return std::accumulate(v.begin(), v.end(), hsize_t{1}, std::multiplies<>());
    };
    const hsize_t grown = count(shape) > count(old_shape) ? count(shape) - count(old_shape) : 0;
    reserve(grown * H5Tget_size(t.get()));  // (the new chunks are allocated now)
  }
  bool ok = H5Dset_extent(d.get(), shape.data()) >= 0;
  std::string reason = ok ? "" : failure_reason();
  if (d.release() < 0 && ok) {
    ok = false;
    reason = failure_reason();
  }
  agree(ok, "cannot extend " + dataset + " in " + path_, reason);
}

Id File::transfer_plist() const {
  Id x(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  if (parallel_) H5Pset_dxpl_mpio(x.get(), H5FD_MPIO_COLLECTIVE);
  return x;
}

void File::slab_io(const std::string& dataset, const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count,
                   hid_t memtype, const void* wdata, void* rdata, hid_t xfer) const {
  Id d(H5Dopen2(file_.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  IFF_CHECK_AS(InputError, static_cast<bool>(d), "file " << path_ << " has no dataset " << dataset);
  Id fspace(H5Dget_space(d.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(fspace.get());
  IFF_CHECK(rank == static_cast<int>(offset.size()) && rank == static_cast<int>(count.size()),
            "slab of rank " << offset.size() << " for dataset " << dataset << " of rank " << rank);
  const hsize_t n = std::accumulate(count.begin(), count.end(), hsize_t{1}, std::multiplies<>());
  Id mspace;
  if (n == 0) {
    H5Sselect_none(fspace.get());
    const hsize_t one = 1;
    mspace = Id(H5Screate_simple(1, &one, nullptr), H5Sclose);
    H5Sselect_none(mspace.get());
  } else {
    IFF_CHECK_AS(IOError,
                 H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr) >= 0,
                 "bad slab for " << dataset << " in " << path_);
    // the memory space has the slab's own shape: with a flat one HDF5 maps the selection to
    // chunks element by element (H5S_select_iterate), several times slower than the read
    mspace = Id(H5Screate_simple(rank, count.data(), nullptr), H5Sclose);
  }
  // Doubles to or from a float32 dataset are narrowed or widened here rather than by HDF5's
  // conversion (a compare run took 10% less time); the rounding is the same (a cast to the
  // nearest float).
  Id ftype(H5Dget_type(d.get()), H5Tclose);
  if (wdata) reserve(0);  // (the chunks were allocated with the dataset)
  const bool f32 = H5Tequal(memtype, H5T_NATIVE_DOUBLE) > 0 && H5Tget_class(ftype.get()) == H5T_FLOAT &&
                   H5Tget_size(ftype.get()) == sizeof(float) && n > 0;
  std::vector<float> buf(f32 ? n : 0);
  herr_t rc;
  if (wdata && f32) {
    const auto* w = static_cast<const double*>(wdata);
    for (hsize_t i = 0; i < n; ++i) buf[i] = static_cast<float>(w[i]);
    rc = H5Dwrite(d.get(), H5T_NATIVE_FLOAT, mspace.get(), fspace.get(), xfer, buf.data());
  } else if (wdata) {
    rc = H5Dwrite(d.get(), memtype, mspace.get(), fspace.get(), xfer, wdata);
  } else if (f32) {
    rc = H5Dread(d.get(), H5T_NATIVE_FLOAT, mspace.get(), fspace.get(), xfer, buf.data());
    auto* r = static_cast<double*>(rdata);
    if (rc >= 0)
      for (hsize_t i = 0; i < n; ++i) r[i] = buf[i];
  } else {
    rc = H5Dread(d.get(), memtype, mspace.get(), fspace.get(), xfer, rdata);
  }
  if (!wdata) {
    IFF_CHECK_AS(IOError, rc >= 0, "read of " << dataset << " in " << path_ << " failed");
    return;
  }
  // a chunked dataset keeps chunks in its cache until it is closed: the close writes them
  bool ok = rc >= 0;
  std::string reason = ok ? "" : failure_reason();
  if (d.release() < 0 && ok) {
    ok = false;
    reason = failure_reason();
  }
  agree(ok, "write to " + dataset + " in " + path_ + " failed", reason);
}

void File::write_slab(const std::string& dataset, const std::vector<hsize_t>& offset,
                      const std::vector<hsize_t>& count, const double* data) {
  static const double dummy = 0;
  Id x = transfer_plist();
  slab_io(dataset, offset, count, H5T_NATIVE_DOUBLE, data ? data : &dummy, nullptr, x.get());
}

void File::read_slab(const std::string& dataset, const std::vector<hsize_t>& offset,
                     const std::vector<hsize_t>& count, double* data) const {
  double dummy = 0;
  Id x = transfer_plist();
  slab_io(dataset, offset, count, H5T_NATIVE_DOUBLE, nullptr, data ? data : &dummy, x.get());
}

void File::write_slab_i64(const std::string& dataset, const std::vector<hsize_t>& offset,
                          const std::vector<hsize_t>& count, const std::int64_t* data) {
  static const std::int64_t dummy = 0;
  Id x = transfer_plist();
  slab_io(dataset, offset, count, H5T_NATIVE_INT64, data ? data : &dummy, nullptr, x.get());
}

void File::read_slab_i64(const std::string& dataset, const std::vector<hsize_t>& offset,
                         const std::vector<hsize_t>& count, std::int64_t* data) const {
  std::int64_t dummy = 0;
  Id x = transfer_plist();
  slab_io(dataset, offset, count, H5T_NATIVE_INT64, nullptr, data ? data : &dummy, x.get());
}

void File::write_vector(const std::string& dataset, const std::vector<double>& data,
                        const std::vector<hsize_t>& shape, DType type) {
  std::vector<hsize_t> s = shape.empty() ? std::vector<hsize_t>{data.size()} : shape;
  const hsize_t n = std::accumulate(s.begin(), s.end(), hsize_t{1}, std::multiplies<>());
  IFF_CHECK(n == data.size(), "write_vector " << dataset << ": " << data.size() << " values for shape of " << n);
  create_dataset(dataset, s, type);
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  std::vector<hsize_t> zero(s.size(), 0), none(s.size(), 0);
  write_slab(dataset, zero, rank == 0 ? s : none, data.data());
}

std::vector<double> File::read_vector(const std::string& dataset, std::vector<hsize_t>* shape_out) const {
  auto s = shape(dataset);
  const hsize_t n = std::accumulate(s.begin(), s.end(), hsize_t{1}, std::multiplies<>());
  std::vector<double> out(n);
  std::vector<hsize_t> zero(s.size(), 0);
  read_slab(dataset, zero, s, out.data());
  if (shape_out) *shape_out = s;
  return out;
}

namespace {

void write_attr(hid_t obj, const std::string& name, hid_t type, hid_t space, const void* data,
                const std::string& where) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Id a(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  IFF_CHECK_AS(IOError, static_cast<bool>(a), "cannot create attribute " << name << " in " << where);
  IFF_CHECK_AS(IOError, H5Awrite(a.get(), type, data) >= 0,
               "cannot write attribute " << name << " in " << where << ": " << failure_reason());
  IFF_CHECK_AS(IOError, a.release() >= 0,
               "cannot write attribute " << name << " in " << where << ": " << failure_reason());
}

}  // namespace

void File::set_attr(const std::string& object, const std::string& name, const std::string& value) {
  reserve(0);
  Id obj = open_object(object);
  // variable-length UTF-8, so that h5py and other clients read a str
  Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Id space(H5Screate(H5S_SCALAR), H5Sclose);
  const char* c = value.c_str();
  write_attr(obj.get(), name, type.get(), space.get(), &c, path_);
}

void File::set_attr(const std::string& object, const std::string& name, double value) {
  reserve(0);
  Id obj = open_object(object);
  Id space(H5Screate(H5S_SCALAR), H5Sclose);
  write_attr(obj.get(), name, H5T_NATIVE_DOUBLE, space.get(), &value, path_);
}

void File::set_attr(const std::string& object, const std::string& name, std::int64_t value) {
  reserve(0);
  Id obj = open_object(object);
  Id space(H5Screate(H5S_SCALAR), H5Sclose);
  write_attr(obj.get(), name, H5T_NATIVE_INT64, space.get(), &value, path_);
}

void File::set_attr(const std::string& object, const std::string& name, const std::vector<double>& value) {
  reserve(0);
  Id obj = open_object(object);
  const hsize_t n = value.size();
  Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  write_attr(obj.get(), name, H5T_NATIVE_DOUBLE, space.get(), value.data(), path_);
}

bool File::has_attr(const std::string& object, const std::string& name) const {
  if (!exists(object)) return false;
  Id obj = open_object(object);
  return H5Aexists(obj.get(), name.c_str()) > 0;
}

namespace {
Id open_attr(const File& f, hid_t obj, const std::string& object, const std::string& name) {
  IFF_CHECK_AS(InputError, H5Aexists(obj, name.c_str()) > 0,
               "file " << f.path() << ": " << object << " has no attribute " << name);
  return Id(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
}
}  // namespace

std::string File::attr_string(const std::string& object, const std::string& name) const {
  Id obj = open_object(object);
  Id a = open_attr(*this, obj.get(), object, name);
  Id ftype(H5Aget_type(a.get()), H5Tclose);
  IFF_CHECK_AS(InputError, H5Tget_class(ftype.get()) == H5T_STRING,
               "file " << path_ << ": attribute " << name << " is not a string");
  if (H5Tis_variable_str(ftype.get()) > 0) {
    Id mtype(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mtype.get(), H5T_VARIABLE);
    H5Tset_cset(mtype.get(), H5Tget_cset(ftype.get()));
    char* s = nullptr;
    IFF_CHECK_AS(IOError, H5Aread(a.get(), mtype.get(), &s) >= 0, "cannot read attribute " << name);
    std::string out = s ? s : "";
    Id space(H5Aget_space(a.get()), H5Sclose);
    H5Dvlen_reclaim(mtype.get(), space.get(), H5P_DEFAULT, &s);
    return out;
  }
  const size_t size = H5Tget_size(ftype.get());
  std::string buf(size, '\0');
  IFF_CHECK_AS(IOError, H5Aread(a.get(), ftype.get(), buf.data()) >= 0, "cannot read attribute " << name);
  const auto end = buf.find('\0');
  if (end != std::string::npos) buf.resize(end);
  return buf;
}

double File::attr_double(const std::string& object, const std::string& name) const {
  Id obj = open_object(object);
  Id a = open_attr(*this, obj.get(), object, name);
  double v = 0;
  IFF_CHECK_AS(InputError, H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) >= 0,
               "file " << path_ << ": attribute " << name << " is not a number");
  return v;
}

std::int64_t File::attr_int(const std::string& object, const std::string& name) const {
  Id obj = open_object(object);
  Id a = open_attr(*this, obj.get(), object, name);
  std::int64_t v = 0;
  IFF_CHECK_AS(InputError, H5Aread(a.get(), H5T_NATIVE_INT64, &v) >= 0,
               "file " << path_ << ": attribute " << name << " is not an integer");
  return v;
}

std::vector<double> File::attr_vector(const std::string& object, const std::string& name) const {
  Id obj = open_object(object);
  Id a = open_attr(*this, obj.get(), object, name);
  Id space(H5Aget_space(a.get()), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<double> v(n > 0 ? n : 0);
  IFF_CHECK_AS(InputError, H5Aread(a.get(), H5T_NATIVE_DOUBLE, v.data()) >= 0,
               "file " << path_ << ": attribute " << name << " is not numeric");
  return v;
}

std::vector<std::string> File::attr_names(const std::string& object) const {
  Id obj = open_object(object);
  H5O_info_t info;
  H5Oget_info2(obj.get(), &info, H5O_INFO_NUM_ATTRS);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    const ssize_t len = H5Aget_name_by_idx(obj.get(), ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) {
      // creation order not tracked: fall back to name order
      const ssize_t l2 = H5Aget_name_by_idx(obj.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
      std::string n(l2 > 0 ? l2 : 0, '\0');
      H5Aget_name_by_idx(obj.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, n.data(), n.size() + 1, H5P_DEFAULT);
      names.push_back(n);
    } else {
      std::string n(len, '\0');
      H5Aget_name_by_idx(obj.get(), ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, n.data(), n.size() + 1, H5P_DEFAULT);
      names.push_back(n);
    }
  }
  return names;
}

}  // namespace iff::h5
