// check_reference WEIGHTS.pt IO.pt KIND NXxNYxNZ CKPT: imports the reference weights as
// `ifactflow convert` does (into CKPT), reloads the checkpoint, runs it in float64 on
// io["input"] [b, nx, ny, nz, 3] and compares with io["output"] (both written by
// check_reference.py from the reference implementation). Prints the largest absolute and
// relative differences; exit status 1 when the relative difference exceeds 1e-9.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "io/config.hpp"
#include "operators/checkpoint.hpp"
#include "operators/convert.hpp"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: check_reference WEIGHTS.pt IO.pt KIND NXxNYxNZ CKPT\n");
    return 2;
  }
  namespace ops = iff::operators;
  ops::ConvertRequest req;  // the defaults of `ifactflow convert`: reference positions, 4pi x 2 x 4pi/3
  req.state_dict = argv[1];
  req.spec.kind = ops::kModelKindNames.parse_or_throw(argv[3], "model kind");
  const auto grid = iff::parse_grid_triplet(argv[4]);
  req.spec.lx = 4 * M_PI;
  req.spec.lz = 4 * M_PI / 3;
  req.spec.x = ops::ModelSpec::periodic_axis(grid[0], req.spec.lx);
  req.spec.y = ops::ModelSpec::chebyshev_axis(grid[1]);
  req.spec.z = ops::ModelSpec::periodic_axis(grid[2], req.spec.lz);
  req.output = argv[5];
  req.provenance = "check_reference";
  ops::convert_reference_weights(req);
  std::ifstream f(argv[2], std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto io = torch::pickle_load(bytes).toGenericDict();
  auto input = io.at("input").toTensor(), want = io.at("output").toTensor();
  auto model = iff::operators::load_model(argv[5]);
  model.module->to(torch::kFloat64);
  model.module->eval();
  torch::NoGradGuard ng;
  auto got = model(input);
  const double abs_diff = (got - want).abs().max().item<double>();
  const double rel = abs_diff / want.abs().max().item<double>();
  std::printf("ifactflow %s vs reference (float64, %ld samples): max |diff| %.3e, relative to max |output| %.3e\n",
              iff::operators::to_string(model.spec.kind).c_str(), static_cast<long>(input.size(0)), abs_diff, rel);
  return rel < 1e-9 ? 0 : 1;
}
