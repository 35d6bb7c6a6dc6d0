#include "attention/slab.hpp"

#include "io/error.hpp"

namespace iff::attention {

SlabExtent slab_extent(int64_t n, int ranks, int rank) {
  IFF_CHECK(ranks >= 1 && rank >= 0 && rank < ranks, "slab of rank " << rank << " of " << ranks);
  const int64_t base = n / ranks, extra = n % ranks;
  return {rank * base + std::min<int64_t>(rank, extra), base + (rank < extra ? 1 : 0)};
}

SlabGroup::SlabGroup(int64_t nx, int ranks, int rank)
    : nx_(nx), ranks_(ranks), rank_(rank), own_(slab_extent(nx, ranks, rank)) {
  IFF_CHECK_AS(InputError, nx >= ranks,
               "a field of " << nx << " x planes cannot be split over " << ranks << " ranks (at least one plane each)");
}

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

const SlabGroup& group_of(AutogradContext* ctx) {
  return *reinterpret_cast<const SlabGroup*>(ctx->saved_data["group"].toInt());
}

struct SlabSum : torch::autograd::Function<SlabSum> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& t, int64_t group) {
    ctx->saved_data["group"] = group;
    return reinterpret_cast<const SlabGroup*>(group)->sum(t);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {group_of(ctx).sum(g[0]), torch::Tensor()};
  }
};

struct SlabGatherX : torch::autograd::Function<SlabGatherX> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& t, int64_t dim, int64_t group) {
    ctx->saved_data["group"] = group;
    ctx->saved_data["dim"] = dim;
    return reinterpret_cast<const SlabGroup*>(group)->gather_x(t, dim);
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {group_of(ctx).reduce_scatter_x(g[0], ctx->saved_data["dim"].toInt()), torch::Tensor(), torch::Tensor()};
  }
};

// y = K_rows · [t_0; …; t_{R−1}] along dim 2 (the gathered planes), keeping only t, the
// slab: the backward gathers the planes again for dK_rows = dy · allᵀ and reduce-scatters
// K_rowsᵀ · dy, the gradient of every rank's planes, to this rank's.
struct SlabProductX : torch::autograd::Function<SlabProductX> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& k_rows, const torch::Tensor& t,
                               int64_t group) {
    ctx->saved_data["group"] = group;
    ctx->save_for_backward({k_rows, t});
    return torch::matmul(k_rows, reinterpret_cast<const SlabGroup*>(group)->gather_x(t, 2));
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    const auto saved = ctx->get_saved_variables();
    const auto& k_rows = saved[0];
    const SlabGroup& group = group_of(ctx);
    auto dy = g[0].contiguous();
    torch::Tensor dk, dt;
    if (ctx->needs_input_grad(0)) dk = torch::matmul(dy, group.gather_x(saved[1], 2).transpose(-1, -2));
    if (ctx->needs_input_grad(1)) dt = group.reduce_scatter_x(torch::matmul(k_rows.transpose(-1, -2), dy), 2);
    return {dk, dt, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor slab_product_x(const torch::Tensor& k_rows, const torch::Tensor& t, const SlabGroup& g) {
  IFF_CHECK(t.dim() == 4 && k_rows.dim() == 4 && t.size(2) == g.nx_local() && k_rows.size(2) == g.nx_local() &&
                k_rows.size(3) == g.nx(),
            "slab_product_x: rows " << k_rows.sizes() << " and slab " << t.sizes() << " for " << g.nx_local() << " of "
                                    << g.nx() << " planes");
  return SlabProductX::apply(k_rows, t, reinterpret_cast<int64_t>(&g));
}

torch::Tensor slab_sum(const torch::Tensor& t, const SlabGroup& g) {
  return SlabSum::apply(t, reinterpret_cast<int64_t>(&g));
}

torch::Tensor slab_gather_x(const torch::Tensor& t, int64_t dim, const SlabGroup& g) {
  IFF_CHECK(t.size(dim) == g.nx_local(), "slab_gather_x: " << t.size(dim) << " planes along dim " << dim
                                                            << ", this rank holds " << g.nx_local());
  return SlabGatherX::apply(t, dim, reinterpret_cast<int64_t>(&g));
}

}  // namespace iff::attention
