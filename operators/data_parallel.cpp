#include "operators/data_parallel.hpp"

#include "io/error.hpp"

namespace iff::operators {

void allreduce_sum(torch::Tensor& t, MPI_Comm comm) {
  IFF_CHECK(t.is_contiguous() && t.device().is_cpu(), "allreduce needs a contiguous CPU tensor");
  const MPI_Datatype type = t.scalar_type() == torch::kFloat64 ? MPI_DOUBLE : MPI_FLOAT;
  IFF_CHECK(t.scalar_type() == torch::kFloat64 || t.scalar_type() == torch::kFloat32, "allreduce: unsupported dtype");
  MPI_Allreduce(MPI_IN_PLACE, t.data_ptr(), static_cast<int>(t.numel()), type, MPI_SUM, comm);
}

double allreduce_sum(double v, MPI_Comm comm) {
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_SUM, comm);
  return v;
}

GradientAllreduce::GradientAllreduce(std::vector<torch::Tensor> params, MPI_Comm comm)
    : params_(std::move(params)), comm_(comm) {
  MPI_Comm_size(comm, &size_);
}

torch::Tensor GradientAllreduce::local() const {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params_)
    grads.push_back(p.grad().defined() ? p.grad().reshape({-1}) : torch::zeros({p.numel()}, p.options()));
  return torch::cat(grads).to(torch::kCPU).contiguous();
}

void GradientAllreduce::sum(torch::Tensor& flat) const {
  if (size_ > 1) allreduce_sum(flat, comm_);
}

void GradientAllreduce::assign(const torch::Tensor& flat) const {
  int64_t offset = 0;
  for (auto p : params_) {
    auto g = flat.narrow(0, offset, p.numel()).view(p.sizes()).to(p.device());
    if (p.grad().defined())
      p.mutable_grad().copy_(g);
    else
      p.mutable_grad() = g.clone();
    offset += p.numel();
  }
}

}  // namespace iff::operators
