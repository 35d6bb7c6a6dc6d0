// Initial states of the channel DNS (state layout of ChannelNSE).
#pragma once

#include <cstdint>
#include <string>

#include "solvers/channel_flow.hpp"
#include "solvers/orr_sommerfeld.hpp"

namespace iff::solvers {

/// Laminar Poiseuille flow U = u_centre (1 - y²), everything else zero.
cvec laminar_state(const ChannelNSE& nse, double u_centre);

/// Adds a divergence-free random perturbation that vanishes at the walls: per resolved
/// mode, v = (1-y²)² p(y) and η = (1-y²) q(y) with random low-degree polynomials p, q and a
/// spectral envelope 1/(1 + i² + j²) over the mode indices; then scaled so that its rms
/// velocity sqrt(<|u'|²>) equals `amplitude`. The same seed gives the same field for any
/// number of ranks (each mode draws from its own generator).
void add_random_perturbation(const ChannelNSE& nse, cvec& x, double amplitude, std::uint64_t seed);

/// Adds a 2-D Orr–Sommerfeld mode: v̂ at (kx = 2π/lx, kz = 0) equal to `amplitude` times the
/// eigenfunction (max |v| = 1), η̂ = 0. The box must have lx = 2π/α.
void add_orr_sommerfeld_mode(const ChannelNSE& nse, cvec& x, const OrrSommerfeldMode& mode, double amplitude);

/// Adds the n-th (n = 1, 2, ...) viscous Stokes mode of v at (kx = 2π/lx, kz = 0) with zero
/// base flow: v = cos(ky)/cos k - cosh(αy)/cosh α (n odd, k tan k = -α tanh α) or
/// sin(ky)/sin k - sinh(αy)/sinh α (n even, k cot k = α coth α), k in (nπ/2, (n+1)π/2),
/// scaled to max |v| ~ amplitude; it decays at σ = -ν(α² + k²) (VALIDATION.md). Returns k.
double add_stokes_mode(const ChannelNSE& nse, cvec& x, int n, double amplitude);

/// Replaces the state by the velocity of a field given on rank 0 as [nx'][ny'][nz'][3]
/// with y ascending on ny' Gauss–Lobatto points (another grid of the same box): Fourier in x, z and Chebyshev in y, truncated or
/// zero-padded to this grid (spectral interpolation), then projected onto v, η, U, W.
/// Collective; `field` is only read on rank 0.
void state_from_physical(const ChannelNSE& nse, const std::vector<double>& field, int nx, int ny, int nz,
                         cvec& x);

}  // namespace iff::solvers
