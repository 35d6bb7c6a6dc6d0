// Diagnostics of a channel-flow state (solvers/channel_flow.hpp): the mean-flow quantities,
// energies and divergence a run reports, the gather of the velocity to rank 0 on the
// unpadded grid, and the check for non-finite coefficients. Free functions of the equation
// and its state x (this rank's modes [nm_local][2][ny], ChannelNSE's state vector).
#pragma once

#include <vector>

#include "solvers/channel_flow.hpp"

namespace iff::solvers {

/// (1/2)∫U dy. Collective.
double bulk_velocity(const ChannelNSE& nse, const cvec& x);
/// Mean wall shear stress ν (|dU/dy(-1)| + |dU/dy(+1)|)/2. Collective.
double wall_shear(const ChannelNSE& nse, const cvec& x);
/// (1/V)∫|u - <u>_xz|²/2 dV from the coefficients (Parseval in x, z; Clenshaw–Curtis in y).
/// Collective.
double fluctuation_energy(const ChannelNSE& nse, const cvec& x);
/// ∫|û|²+|v̂|²+|ŵ|² dy of one global mode (0 on ranks that do not hold it). Not collective.
double mode_energy(const ChannelNSE& nse, const cvec& x, int m);
/// max over the padded grid of |∂u/∂x + ∂v/∂y + ∂w/∂z|. Collective (one extra transform,
/// which overwrites the first field of the equation's transform).
double max_divergence(ChannelNSE& nse, const cvec& x);
/// Gathers u, v, w on the unpadded nx × ny × nz grid to rank 0 as [nx][ny][nz][3] with y
/// ascending from the lower wall (the data contract's order); empty on other ranks.
/// Collective.
std::vector<double> gather_velocity(const ChannelNSE& nse, const cvec& x);
/// True when every coefficient is finite on every rank. Collective.
bool finite(const ChannelNSE& nse, const cvec& x);

}  // namespace iff::solvers
