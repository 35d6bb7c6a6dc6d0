// Checks shared by the tests of models split in x-slabs (test_slab_ifactformer.cpp,
// test_slab_fno.cpp): a split model against the same model on the whole field, computed on
// each rank, with the loss Σ w·y.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>

#include "operators/mpi_slab_group.hpp"

namespace iff::test {

/// max |a − b| / max |b| (1 for b = 0).
inline double rel_diff(const torch::Tensor& a, const torch::Tensor& b) {
  const double scale = b.abs().max().item<double>();
  return (a - b).abs().max().item<double>() / (scale > 0 ? scale : 1.0);
}

/// This rank's planes of t [..., nx, ny, nz, c].
inline torch::Tensor own_slab(const torch::Tensor& t, const operators::MpiSlabGroup& g) {
  return t.narrow(t.dim() - 4, g.x0(), g.nx_local());
}

/// One backward of Σ w·y through both: the input's gradient equals this rank's planes of the
/// whole one's, and each trainable parameter's gradient summed over the group the whole
/// one's, to `tol`. Returns the number of parameters compared.
template <class Net>
int expect_split_gradients_equal(Net& whole, Net& split, const operators::MpiSlabGroup& g, const torch::Tensor& u,
                                 const torch::Tensor& w, double tol) {
  auto u_whole = u.clone().requires_grad_(true);
  (whole->forward(u_whole) * w).sum().backward();
  auto u_split = own_slab(u, g).clone().requires_grad_(true);
  (split->forward(u_split) * own_slab(w, g)).sum().backward();

  EXPECT_LT(rel_diff(u_split.grad(), own_slab(u_whole.grad(), g)), tol);
  const auto pw = whole->named_parameters(), ps = split->named_parameters();
  int compared = 0;
  for (const auto& item : pw) {
    if (!item.value().requires_grad()) continue;
    const auto& gw = item.value().grad();
    EXPECT_TRUE(gw.defined()) << item.key();
    if (!gw.defined()) continue;
    EXPECT_LT(rel_diff(g.sum(ps[item.key()].grad()), gw), tol) << item.key();
    ++compared;
  }
  return compared;
}

/// Three AdamW steps (lr 1e-2) of each, the split one's gradients summed over the group:
/// every parameter, and then the forward, equal the whole one's to `tol`.
template <class Net>
void expect_three_adamw_steps_equal(Net& whole, Net& split, const operators::MpiSlabGroup& g, const torch::Tensor& u,
                                    const torch::Tensor& w, double tol) {
  torch::optim::AdamW ow(whole->parameters(), torch::optim::AdamWOptions(1e-2));
  torch::optim::AdamW os(split->parameters(), torch::optim::AdamWOptions(1e-2));
  for (int step = 0; step < 3; ++step) {
    ow.zero_grad(), os.zero_grad();
    (whole->forward(u) * w).sum().backward();
    (split->forward(own_slab(u, g)) * own_slab(w, g)).sum().backward();
    for (auto& p : split->parameters())
      if (p.grad().defined()) p.mutable_grad().copy_(g.sum(p.grad()));
    ow.step(), os.step();
  }
  const auto pw = whole->named_parameters(), ps = split->named_parameters();
  for (const auto& item : pw) EXPECT_LT(rel_diff(ps[item.key()], item.value()), tol) << item.key();
  torch::NoGradGuard ng;
  EXPECT_LT(rel_diff(split->forward(own_slab(u, g)), own_slab(whole->forward(u), g)), tol);
}

}  // namespace iff::test
