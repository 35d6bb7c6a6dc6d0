// bench_slab: a neural operator with each sample split in x-slabs over the ranks of
// MPI_COMM_WORLD (attention/slab.hpp, operators/mpi_slab_group.hpp), float32.
//
//   mpirun -n R bench_slab [--model ifactformer-m|ifactformer-o|fno|ifno] [--grid NXxNYxNZ]
//                          [--batch B] [--threads T] [--repeats N] [--checkpointing]
//                          [--forward-only] [--group-of-one]
//
// At 1 rank the model runs on the whole field without a group (the unsplit baseline that
// bench/operators/slab_scaling.sh divides by); --group-of-one runs the split code on a group
// of the one rank (its algorithm without its exchanges). Printed, one line: ranks, threads, the median
// of N runs (after one warm-up) of the forward (no gradients) and of the training step
// (forward, loss Σ w·y, backward, parameter gradients summed over the group), the largest
// over the ranks of the resident-set peak (VmHWM, reset before each measurement) for each,
// and the bytes one forward moves per rank (received by the sums and gathers, sent by the
// reduce-scatters of the backward: MpiSlabGroup::bytes_moved) and one training step moves
// (without the gradients' sum over the group, which data parallelism does too). The models
// are the defaults: the published IFactFormer-m (dim 96, 5 heads of 96, kernel multiplier 3,
// 10 layers) or -o, FNO3d and IFNO3d (modes 8, 8, 8, width 20, 4 layers); --checkpointing
// applies to the IFactFormers.
#include <mpi.h>
#include <torch/torch.h>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "attention/slab.hpp"
#include "operators/model.hpp"
#include "operators/mpi_slab_group.hpp"

namespace ops = iff::operators;

namespace {

struct Args {
  int nx = 128, ny = 65, nz = 64;
  int batch = 1, threads = 1, repeats = 3;
  std::string model = "ifactformer-m";
  bool checkpointing = false, forward_only = false, group_of_one = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(s + " needs a value");
      return argv[++i];
    };
    if (s == "--grid") {
      if (std::sscanf(next().c_str(), "%dx%dx%d", &a.nx, &a.ny, &a.nz) != 3) throw std::runtime_error("--grid NXxNYxNZ");
    } else if (s == "--batch") {
      a.batch = std::stoi(next());
    } else if (s == "--threads") {
      a.threads = std::stoi(next());
    } else if (s == "--repeats") {
      a.repeats = std::stoi(next());
    } else if (s == "--checkpointing") {
      a.checkpointing = true;
    } else if (s == "--model") {
      a.model = next();
    } else if (s == "--group-of-one") {
      a.group_of_one = true;
    } else if (s == "--forward-only") {
      a.forward_only = true;
    } else {
      throw std::runtime_error("unknown option " + s);
    }
  }
  return a;
}

void reset_peak() {
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
}

/// Resident-set peak since the last reset, GiB.
double peak_gib() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / (1024.0 * 1024.0);
  return -1;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

/// Median seconds of `repeats` calls of f after one warm-up, every rank starting together;
/// the slowest rank's time.
template <class F>
double timed(int repeats, F&& f) {
  f();
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto t0 = std::chrono::steady_clock::now();
    f();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), slowest = 0;
    MPI_Allreduce(&s, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    t.push_back(slowest);
  }
  return median(t);
}

double max_over_ranks(double v) {
  double m = 0;
  MPI_Allreduce(&v, &m, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  try {
    const Args a = parse(argc, argv);
    torch::set_num_threads(a.threads);
    torch::manual_seed(1);  // the same weights on every rank
    ops::ModelSpec spec;
    spec.kind = ops::kModelKindNames.parse_or_throw(a.model, "--model");
    spec.positions = ops::Positions::grid;
    for (int i = 0; i < a.nx; ++i) spec.x.push_back(2.0 * i / a.nx);
    for (int j = 0; j < a.ny; ++j) spec.y.push_back(-std::cos(M_PI * j / (a.ny - 1)));
    for (int k = 0; k < a.nz; ++k) spec.z.push_back(1.0 * k / a.nz);
    spec.lx = 2.0, spec.lz = 1.0;
    spec.ifactformer.checkpoint_activations = a.checkpointing;
    auto model = ops::make_model(spec);
    std::shared_ptr<ops::MpiSlabGroup> group;
    if (ranks > 1 || a.group_of_one) group = ops::split_in_x_slabs(model, MPI_COMM_WORLD, iff::Arithmetic::fp32, "bench_slab");
    const int64_t x0 = group ? group->x0() : 0, nxl = group ? group->nx_local() : a.nx;
    const auto u = torch::randn({a.batch, a.nx, a.ny, a.nz, 3}).narrow(1, x0, nxl).contiguous();
    const auto w = torch::randn({a.batch, a.nx, a.ny, a.nz, 3}).narrow(1, x0, nxl).contiguous();

    model.module->eval();
    reset_peak();
    const double base = max_over_ranks(peak_gib());
    const double forward_s = timed(a.repeats, [&] {
      torch::NoGradGuard ng;
      model(u);
    });
    const double forward_peak = max_over_ranks(peak_gib());
    double bytes = 0;
    if (group) {
      group->reset_bytes_moved();
      torch::NoGradGuard ng;
      model(u);
      bytes = max_over_ranks(static_cast<double>(group->bytes_moved()));
    }
    double step = NAN, step_peak = NAN, step_bytes = 0;
    if (!a.forward_only) {
      model.module->train();
      reset_peak();
      auto train_step = [&] {
        model.module->zero_grad();
        (model(u) * w).sum().backward();
      };
      step = timed(a.repeats, [&] {
        train_step();
        if (group)
          for (auto& q : model.module->parameters())
            if (q.grad().defined()) q.mutable_grad().copy_(group->sum(q.grad()));
      });
      step_peak = max_over_ranks(peak_gib());
      if (group) {  // the step's own exchanges, without the gradient sum (data parallelism's)
        group->reset_bytes_moved();
        train_step();
        step_bytes = max_over_ranks(static_cast<double>(group->bytes_moved()));
      }
    }
    const std::string tags = std::string(a.checkpointing ? " checkpointed" : "") + (ranks == 1 && group ? " group-of-one" : "");
    if (rank == 0)
      std::printf("bench_slab %s %dx%dx%d batch %d%s: ranks %d threads %d  forward %.4g s  train_step %.4g s  "
                  "rss_before %.3f GiB  forward_peak %.3f GiB  train_peak %.3f GiB  forward_bytes_per_rank %.4g MB  "
                  "train_bytes_per_rank %.4g MB\n",
                  a.model.c_str(), a.nx, a.ny, a.nz, a.batch, tags.c_str(), ranks, a.threads, forward_s, step, base,
                  forward_peak, step_peak, bytes / 1e6, step_bytes / 1e6);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_slab: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return 0;
}
