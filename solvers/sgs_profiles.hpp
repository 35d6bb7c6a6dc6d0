// Plane profiles of the SGS model of an LES (solvers/channel_flow.hpp, solvers/sgs_model.hpp)
// at a state, assembled over the ranks from ChannelNSE::evaluate_sgs, and ν_t on this rank's
// planes. Both evaluate the model (the equation's transform is overwritten).
#pragma once

#include <vector>

#include "solvers/channel_flow.hpp"

namespace iff::solvers {

/// x–z plane averages of the SGS model at every Gauss–Lobatto index j (y_j = cos(π j/M),
/// upper wall first), on the padded grid.
struct SgsProfiles {
  std::vector<double> nu_t;        ///< <ν_t>
  std::vector<double> dissipation; ///< ε_sgs = <2 ν_t S_ij S_ij> = −<τ_ij S_ij>
  std::vector<double> coefficient; ///< model coefficient C (SgsModel::eddy_viscosity)
  std::vector<double> nu_total_min;  ///< min over the plane of ν + ν_t
};

/// Plane profiles of the SGS model at state x, on every rank (zero, and ν + ν_t = ν, without
/// a model). Collective.
SgsProfiles sgs_profiles(ChannelNSE& nse, const cvec& x);
/// ν_t on this rank's planes of the padded grid [ny_local][nzp][nxp] at state x (empty
/// without a model). Collective.
std::vector<double> eddy_viscosity(ChannelNSE& nse, const cvec& x);

}  // namespace iff::solvers
