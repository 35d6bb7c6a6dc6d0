#include "rollout/stepper_source.hpp"

#include <algorithm>
#include <cmath>

#include "io/error.hpp"

namespace iff::rollout {

void StepperSource::require_fits(const std::string& file, const SeriesMeta& m) const {
  const auto& g = grid;
  IFF_REQUIRE(g[0] == m.nx() && g[1] == m.ny() && g[2] == m.nz(),
              what << " is for a " << g[0] << "x" << g[1] << "x" << g[2] << " grid, series " << file << " is "
                   << m.nx() << "x" << m.ny() << "x" << m.nz());
  auto differs = [](double a, double b) { return std::abs(a - b) > 1e-9 * std::max(std::abs(a), std::abs(b)); };
  IFF_REQUIRE(!(box[0] > 0 && box[1] > 0) || (!differs(box[0], m.box_lx()) && !differs(box[1], m.box_lz())),
              what << " is for a box " << box[0] << " x 2 x " << box[1] << ", series " << file << " is "
                   << m.box_lx() << " x 2 x " << m.box_lz());
}

}  // namespace iff::rollout
