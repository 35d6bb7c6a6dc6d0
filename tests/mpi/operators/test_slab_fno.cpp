// FNO and IFNO with every sample split in x-slabs over the ranks of MPI_COMM_WORLD
// (operators/spectral_conv.hpp: the kept x modes' DFT summed over the group), float64,
// against the same model on the whole field computed on each rank: the forward to 1e-12,
// the gradients of every parameter (summed over the ranks) and of the input to 1e-10, three
// AdamW steps to 1e-10. Run at 1, 2 and 3 ranks on 7 x planes (splits 7, 4+3, 3+2+2), with
// the x modes at their limit (2·m1 = 6 of 7) and y padded (pad_y 1), so that every kept
// mode, the negative kx included, crosses the split.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include "attention/slab.hpp"
#include "io/error.hpp"
#include "operators/fno.hpp"
#include "operators/mpi_slab_group.hpp"
#include "slab_checks.hpp"

namespace ops = iff::operators;

namespace {

constexpr int64_t kNx = 7, kNy = 5, kNz = 4;

ops::Fno make_model(bool implicit, int64_t in_time_window = 1) {
  torch::manual_seed(5);  // the same weights on every rank
  ops::FnoOptions o;
  o.modes_x = 3, o.modes_y = 3, o.modes_z = 2;
  o.width = 6, o.n_layer = 3, o.projection = 8, o.pad_y = 1;
  o.in_time_window = in_time_window;
  o.implicit = implicit;
  o.target = implicit ? ops::Target::increment : ops::Target::next;
  ops::Fno m(o);
  m->to(torch::kFloat64);
  // the reference initialisation makes the spectral part ~1/width² of the 1×1 part: scale it
  // up so that what crosses the ranks carries a share of the output comparable to the rest
  torch::NoGradGuard ng;
  for (auto& conv : m->convs)
    for (auto* w : {&conv->weights1, &conv->weights2, &conv->weights3, &conv->weights4}) w->normal_(0.0, 0.3);
  return m;
}

using iff::test::rel_diff;

class SlabFno : public ::testing::TestWithParam<bool> {
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

TEST_P(SlabFno, ForwardEqualsTheWholeField) {
  auto whole = make_model(GetParam());
  auto split = make_model(GetParam());
  split->set_slab(group);
  torch::NoGradGuard ng;
  const auto y_whole = whole->forward(u);
  const auto y_split = split->forward(slab(u));
  ASSERT_EQ(y_split.sizes(), slab(y_whole).sizes());
  EXPECT_LT(rel_diff(y_split, slab(y_whole)), 1e-12);

  // the modes kx ≠ 0 matter: zeroing them changes the output at the 1e-2 level
  auto no_x = make_model(GetParam());
  for (auto& conv : no_x->convs)
    for (auto* w : {&conv->weights1, &conv->weights2, &conv->weights3, &conv->weights4})
      (w == &conv->weights1 || w == &conv->weights3 ? w->narrow(2, 1, 2) : *w).zero_();
  EXPECT_GT(rel_diff(no_x->forward(u), y_whole), 1e-2);

  // a window of two snapshots [b, T, nx, ny, nz, 3] splits the same way
  auto whole2 = make_model(GetParam(), 2), split2 = make_model(GetParam(), 2);
  split2->set_slab(group);
  const auto u2 = torch::stack({u, w}, 1);
  EXPECT_LT(rel_diff(split2->forward(slab(u2)), slab(whole2->forward(u2))), 1e-12);
}

TEST_P(SlabFno, GradientsEqualTheWholeField) {
  auto whole = make_model(GetParam());
  auto split = make_model(GetParam());
  split->set_slab(group);
  const int compared = iff::test::expect_split_gradients_equal(whole, split, *group, u, w, 1e-10);
  EXPECT_GE(compared, GetParam() ? 12 : 20);
}

TEST_P(SlabFno, ThreeAdamWStepsEqualTheWholeField) {
  auto whole = make_model(GetParam());
  auto split = make_model(GetParam());
  split->set_slab(group);
  iff::test::expect_three_adamw_steps_equal(whole, split, *group, u, w, 1e-10);
}

INSTANTIATE_TEST_SUITE_P(Kinds, SlabFno, ::testing::Values(false, true),
                         [](const auto& info) { return std::string(info.param ? "ifno" : "fno"); });

TEST(SlabFnoInput, ASplitModelTakesOnlyItsSlab) {
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (ranks == 1) GTEST_SKIP() << "needs 2 ranks";
  auto m = make_model(false);
  m->set_slab(std::make_shared<ops::MpiSlabGroup>(MPI_COMM_WORLD, kNx));
  EXPECT_THROW(m->forward(torch::zeros({1, kNx, kNy, kNz, 3}, torch::kFloat64)), iff::InputError);
}

}  // namespace
