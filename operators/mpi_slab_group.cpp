#include "operators/mpi_slab_group.hpp"

#include <climits>
#include <vector>

#include "io/comm.hpp"
#include "io/error.hpp"

namespace iff::operators {

namespace {

MPI_Datatype mpi_type(const torch::Tensor& t) {
  IFF_CHECK(t.scalar_type() == torch::kFloat64 || t.scalar_type() == torch::kFloat32,
            "slab exchange of " << t.scalar_type() << " tensors");
  return t.scalar_type() == torch::kFloat64 ? MPI_DOUBLE : MPI_FLOAT;
}

int count_of(int64_t n) {
  IFF_CHECK(n <= INT_MAX, "slab exchange of " << n << " values in one message");
  return static_cast<int>(n);
}

}  // namespace

MpiSlabGroup::MpiSlabGroup(MPI_Comm comm, int64_t nx) : SlabGroup(nx, comm_size(comm), comm_rank(comm)), comm_(comm) {}

torch::Tensor MpiSlabGroup::sum(const torch::Tensor& t) const {
  auto host = t.to(torch::kCPU).contiguous();
  auto all = torch::empty({ranks(), host.numel()}, host.options());
  MPI_Allgather(host.data_ptr(), count_of(host.numel()), mpi_type(host), all.data_ptr(), count_of(host.numel()),
                mpi_type(host), comm_);
  bytes_ += (ranks() - 1) * host.numel() * int64_t(host.element_size());
  auto s = all[0].clone();
  for (int r = 1; r < ranks(); ++r) s += all[r];
  return s.view(t.sizes()).to(t.device());
}

namespace {

bool direct(const torch::Tensor& t, const torch::Tensor& out) {
  return t.device().is_cpu() && out.device().is_cpu() && t.is_contiguous() && out.is_contiguous() &&
         t.scalar_type() == out.scalar_type();
}

}  // namespace

/// counts and offsets (values) of each rank's planes, `row` values per plane
void MpiSlabGroup::plane_counts(int64_t row, std::vector<int>& counts, std::vector<int>& offsets) const {
  counts.resize(ranks());
  offsets.resize(ranks());
  for (int r = 0; r < ranks(); ++r) {
    const auto e = attention::slab_extent(nx(), ranks(), r);
    counts[r] = count_of(e.count * row);
    offsets[r] = count_of(e.x0 * row);
  }
}

torch::Tensor MpiSlabGroup::gather_x(const torch::Tensor& t, int64_t dim) const {
  auto host = t.movedim(dim, 0).to(torch::kCPU).contiguous();  // [nx_local, rest...]
  auto shape = host.sizes().vec();
  shape[0] = nx();
  auto all = torch::empty(shape, host.options());
  gather_x_into(host, all);
  return all.to(t.device()).movedim(0, dim);
}

void MpiSlabGroup::gather_x_into(const torch::Tensor& t, torch::Tensor& out) const {
  IFF_CHECK(t.size(0) == nx_local() && out.size(0) == nx() && out.numel() == t.numel() / nx_local() * nx(),
            "gather_x_into: " << t.sizes() << " into " << out.sizes());
  if (!direct(t, out)) {
    out.copy_(gather_x(t, 0));
    return;
  }
  const int64_t row = t.numel() / nx_local();
  std::vector<int> counts, offsets;
  plane_counts(row, counts, offsets);
  MPI_Allgatherv(t.data_ptr(), count_of(t.numel()), mpi_type(t), out.data_ptr(), counts.data(), offsets.data(),
                 mpi_type(t), comm_);
  bytes_ += (nx() - nx_local()) * row * int64_t(t.element_size());
}

torch::Tensor MpiSlabGroup::reduce_scatter_x(const torch::Tensor& t, int64_t dim) const {
  IFF_CHECK(t.size(dim) == nx(), "reduce_scatter_x: " << t.size(dim) << " planes along dim " << dim << ", not " << nx());
  auto host = t.movedim(dim, 0).to(torch::kCPU).contiguous();  // [nx, rest...]
  auto shape = host.sizes().vec();
  shape[0] = nx_local();
  auto mine = torch::empty(shape, host.options());
  reduce_scatter_x_into(host, mine);
  return mine.to(t.device()).movedim(0, dim);
}

void MpiSlabGroup::reduce_scatter_x_into(const torch::Tensor& t, torch::Tensor& out) const {
  IFF_CHECK(t.size(0) == nx() && out.size(0) == nx_local() && out.numel() == t.numel() / nx() * nx_local(),
            "reduce_scatter_x_into: " << t.sizes() << " into " << out.sizes());
  if (!direct(t, out)) {
    out.copy_(reduce_scatter_x(t, 0));
    return;
  }
  const int64_t row = t.numel() / nx();
  std::vector<int> counts, offsets;
  plane_counts(row, counts, offsets);
  MPI_Reduce_scatter(t.data_ptr(), out.data_ptr(), counts.data(), mpi_type(t), MPI_SUM, comm_);
  bytes_ += (nx() - nx_local()) * row * int64_t(t.element_size());
}

std::shared_ptr<MpiSlabGroup> split_in_x_slabs(Model& model, MPI_Comm comm, Arithmetic precision, const std::string& key) {
  const int ranks = comm_size(comm);
  IFF_REQUIRE(precision == Arithmetic::fp32, key << " = " << ranks << " runs the split layers in fp32 arithmetic; set "
                                                 << key.substr(0, key.find('.')) << ".precision: fp32");
  auto slab = std::make_shared<MpiSlabGroup>(comm, static_cast<int64_t>(model.spec.x.size()));
  auto net = std::dynamic_pointer_cast<IFactFormerImpl>(model.module);
  auto fno = std::dynamic_pointer_cast<FnoImpl>(model.module);
  IFF_CHECK(net || fno, "no x-slab split for the " << to_string(model.spec.kind));
  if (net) net->set_slab(slab);
  if (fno) fno->set_slab(slab);
  return slab;
}

}  // namespace iff::operators
