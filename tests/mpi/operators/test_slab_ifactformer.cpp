// IFactFormer-m and -o with every sample split in x-slabs over the ranks of MPI_COMM_WORLD
// (attention/slab.hpp, operators/mpi_slab_group.hpp), float64, against the same model on
// the whole field computed on each rank: the forward to 1e-12, the gradients of every
// parameter (summed over the ranks) and of the input to 1e-10, three AdamW steps to 1e-10,
// with and without activation checkpointing. Run at 1, 2 and 3 ranks on 7 x planes (splits
// 7, 4+3, 3+2+2). The kernels' weights are scaled so that the axial products along x, the
// part that crosses ranks, carry a share of the output comparable to the rest.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include "attention/slab.hpp"
#include "io/error.hpp"
#include "operators/ifactformer.hpp"
#include "operators/mpi_slab_group.hpp"
#include "slab_checks.hpp"

namespace ops = iff::operators;
using iff::attention::Factorization;

namespace {

constexpr int64_t kNx = 7, kNy = 5, kNz = 4;

ops::IFactFormer make_model(Factorization f, bool checkpointing) {
  torch::manual_seed(3);  // the same weights on every rank
  ops::IFactFormerOptions o;
  o.dim = 12, o.heads = 2, o.dim_head = 6, o.kernel_multiplier = 2, o.n_layer = 2, o.depth = 1;
  o.factorization = f;
  o.checkpoint_activations = checkpointing;
  ops::AxisCoordinates p;
  for (int i = 0; i < kNx; ++i) p.x.push_back(2.0 * i / kNx);
  for (int j = 0; j < kNy; ++j) p.y.push_back(-std::cos(M_PI * j / (kNy - 1)));
  for (int k = 0; k < kNz; ++k) p.z.push_back(1.0 * k / kNz);
  ops::IFactFormer m(o, p);
  m->to(torch::kFloat64);
  torch::NoGradGuard ng;
  for (auto& item : m->named_parameters()) {
    const auto& name = item.key();
    auto t = item.value();
    if (name.find("norm") != std::string::npos) t.normal_(1.0, 0.2);
    if (name.find("to_q") != std::string::npos || name.find("to_k") != std::string::npos) t.normal_(0.0, 0.3);
  }
  return m;
}

using iff::test::rel_diff;

struct Case {
  Factorization factorization;
  bool checkpointing;
};

class SlabIFactFormer : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    group = std::make_shared<ops::MpiSlabGroup>(MPI_COMM_WORLD, kNx);
    torch::manual_seed(11);
    u = torch::randn({2, kNx, kNy, kNz, 3}, torch::kFloat64);
    w = torch::randn({2, kNx, kNy, kNz, 3}, torch::kFloat64);
  }
  torch::Tensor slab(const torch::Tensor& t) const { return iff::test::own_slab(t, *group); }

  std::shared_ptr<ops::MpiSlabGroup> group;
  torch::Tensor u, w;  // input and the weights of the test loss Σ w·y
};

TEST_P(SlabIFactFormer, ForwardEqualsTheWholeField) {
  auto whole = make_model(GetParam().factorization, false);
  auto split = make_model(GetParam().factorization, false);
  split->set_slab(group);
  torch::NoGradGuard ng;
  const auto y_whole = whole->forward(u);
  const auto y_split = split->forward(slab(u));
  ASSERT_EQ(y_split.sizes(), slab(y_whole).sizes());
  EXPECT_LT(rel_diff(y_split, slab(y_whole)), 1e-12);

  // the x products matter: the same model with K_x zeroed differs at the 1e-2 level
  auto no_x = make_model(GetParam().factorization, false);
  no_x->blocks[0]->low_rank_kernel_x->to_q->weight.zero_();
  EXPECT_GT(rel_diff(no_x->forward(u), y_whole), 1e-2);
}

TEST_P(SlabIFactFormer, GradientsEqualTheWholeField) {
  auto whole = make_model(GetParam().factorization, GetParam().checkpointing);
  auto split = make_model(GetParam().factorization, GetParam().checkpointing);
  whole->train(), split->train();
  split->set_slab(group);
  const int compared = iff::test::expect_split_gradients_equal(whole, split, *group, u, w, 1e-10);
  EXPECT_GT(compared, 20);
}

TEST_P(SlabIFactFormer, ThreeAdamWStepsEqualTheWholeField) {
  auto whole = make_model(GetParam().factorization, GetParam().checkpointing);
  auto split = make_model(GetParam().factorization, GetParam().checkpointing);
  whole->train(), split->train();
  split->set_slab(group);
  iff::test::expect_three_adamw_steps_equal(whole, split, *group, u, w, 1e-10);
}

INSTANTIATE_TEST_SUITE_P(Kinds, SlabIFactFormer,
                         ::testing::Values(Case{Factorization::parallel, false}, Case{Factorization::parallel, true},
                                           Case{Factorization::chained, false}),
                         [](const auto& info) {
                           return std::string(info.param.factorization == Factorization::parallel ? "m" : "o") +
                                  (info.param.checkpointing ? "_checkpointed" : "");
                         });

TEST(SlabExtent, UnevenSplitsCoverTheAxisInOrder) {
  for (int64_t n : {1, 7, 8, 33})
    for (int ranks = 1; ranks <= 5; ++ranks) {
      int64_t next = 0;
      for (int r = 0; r < ranks; ++r) {
        const auto e = iff::attention::slab_extent(n, ranks, r);
        EXPECT_EQ(e.x0, next);
        EXPECT_GE(e.count, n / ranks);
        EXPECT_LE(e.count, n / ranks + 1);
        next += e.count;
      }
      EXPECT_EQ(next, n);
    }
  EXPECT_EQ(iff::attention::slab_extent(7, 3, 0).count, 3);
  EXPECT_EQ(iff::attention::slab_extent(7, 3, 2).x0, 5);
}

TEST(MpiSlabGroup, CountsTheBytesItMoves) {
  ops::MpiSlabGroup g(MPI_COMM_WORLD, kNx);
  const int64_t others = kNx - g.nx_local();
  g.gather_x(torch::ones({g.nx_local(), 4}, torch::kFloat64), 0);
  EXPECT_EQ(g.bytes_moved(), others * 4 * 8);  // received: the other ranks' planes
  g.reset_bytes_moved();
  g.sum(torch::ones({3}, torch::kFloat32));
  EXPECT_EQ(g.bytes_moved(), (g.ranks() - 1) * 3 * 4);  // received: the other ranks' copies
  g.reset_bytes_moved();
  g.reduce_scatter_x(torch::ones({2, kNx}, torch::kFloat64), 1);
  EXPECT_EQ(g.bytes_moved(), others * 2 * 8);  // sent: the other ranks' planes
}

TEST(SlabGroupInput, RefusesAGroupOfAnotherGridOrMoreRanksThanPlanes) {
  auto m = make_model(Factorization::parallel, false);
  EXPECT_THROW(m->set_slab(std::make_shared<ops::MpiSlabGroup>(MPI_COMM_WORLD, kNx + 1)), iff::InputError);
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (ranks > 1) {
    EXPECT_THROW(ops::MpiSlabGroup(MPI_COMM_WORLD, ranks - 1), iff::InputError);
  }
  // a split model takes only its slab
  m->set_slab(std::make_shared<ops::MpiSlabGroup>(MPI_COMM_WORLD, kNx));
  if (ranks > 1) {
    EXPECT_THROW(m->forward(torch::zeros({1, kNx, kNy, kNz, 3}, torch::kFloat64)), iff::InputError);
  }
}

}  // namespace
