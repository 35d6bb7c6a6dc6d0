// Subgrid-scale (SGS) eddy-viscosity models for large-eddy simulation of channel flow with
// the DNS solver on a coarse grid (docs/design.md, physics conventions).
//
// Filtered momentum equation for the resolved velocity u (eddy-viscosity closure of the
// deviatoric SGS stress, τ_ij − δ_ij τ_kk/3 = −2 ν_t S_ij; the isotropic part joins the
// pressure):
//   ∂u_i/∂t = (u × ω)_i − ∂_i Π + ν ∇²u_i + ∂_j(2 ν_t S_ij) + F δ_i1,
//   S_ij = (∂_j u_i + ∂_i u_j)/2,   |S| = (2 S_ij S_ij)^(1/2),   g_ij = ∂_j u_i.
// ν_t is computed pointwise in physical space on the 3/2-padded grid from the resolved
// velocity gradient; ChannelNSE adds the SGS force ∂_j(2 ν_t S_ij) to u × ω before the
// Kim–Moin–Moser projection, so it is explicit in the SBDF scheme like the advection.
//
// Filter width (Deardorff 1970, J. Fluid Mech. 41, 453), FilterWidth::cube_root:
//   Δ(y) = (Δx Δy(y) Δz)^(1/3),  Δx = lx/nx,  Δz = lz/nz  (resolved grid, not the padded one),
//   Δy(y_j) = (y_{j-1} − y_{j+1})/2 = sin(π/M) sqrt(1 − y_j²)  on the Gauss–Lobatto points
//   y_j = cos(π j/M), M = ny − 1: the local Gauss–Lobatto spacing. It vanishes at the walls,
//   and so does ν_t (no SGS stress at a no-slip wall).
// FilterWidth::wall_parallel: Δ = (Δx Δz)^(1/2), independent of y.
//
// Models (smagorinsky and wale give ν_t ≥ 0; dsm is clipped so that ν + ν_t ≥ 0):
//   smagorinsky  ν_t = (C_s D Δ)² |S|  (Smagorinsky 1963, Mon. Weather Rev. 91, 99), with the
//                van Driest (1956, J. Aeronaut. Sci. 23, 1007) damping D = 1 − exp(−y+/A+),
//                y+ = (1 − |y|) u_τ/ν, u_τ = sqrt(τ_w) from the mean wall shear of the state
//                (A+ = 25; A+ = 0 switches the damping off).
//   dsm          dynamic Smagorinsky (Germano, Piomelli, Moin & Cabot 1991, Phys. Fluids A 3,
//                1760) with Lilly's (1992, Phys. Fluids A 4, 633) least squares:
//                  L_ij = (u_i u_j)^ − û_i û_j                        (Germano identity)
//                  M_ij = 2 Δ² ( (|S| S_ij)^ − α² |Ŝ| Ŝ_ij ),  α = Δ̂/Δ
//                  C(y) = <L_ij M_ij>_xz / <M_ij M_ij>_xz,   ν_t = max(C(y) Δ² |S|, −ν)
//                where ^ is the test filter (TestFilter: width ratio 2 in x and z, none in y;
//                sharp spectral cut-off at half the resolved wavenumbers by default, or box)
//                and <>_xz the average over an x–z plane. With Δ̂ = (2Δx Δy 2Δz)^(1/3),
//                α² = 4^(2/3) (cube_root); α² = 4 for wall_parallel.
//   wale         ν_t = (C_w Δ)² (S^d_ij S^d_ij)^(3/2) / ((S_ij S_ij)^(5/2) + (S^d_ij S^d_ij)^(5/4)),
//                S^d_ij = (g²_ij + g²_ji)/2 − δ_ij g²_kk/3,  g²_ij = g_ik g_kj
//                (Nicoud & Ducros 1999, Flow Turbul. Combust. 62, 183); C_w = 0.325.
//   none         ν_t = 0 (ChannelNSE then runs its DNS path unchanged).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "io/enum_names.hpp"
#include "spectral/channel_grid.hpp"

namespace iff {
class ConfigSection;
}

namespace iff::solvers {

enum class SgsModelKind { none, smagorinsky, dsm, wale };
inline const EnumNames<SgsModelKind> kSgsModelKindNames{{SgsModelKind::none, "none"},
                                                        {SgsModelKind::smagorinsky, "smagorinsky"},
                                                        {SgsModelKind::dsm, "dsm"},
                                                        {SgsModelKind::wale, "wale"}};
inline std::string to_string(SgsModelKind k) { return kSgsModelKindNames.name(k); }

enum class FilterWidth {
  cube_root,      ///< Δ = (Δx Δy(y) Δz)^(1/3), Δy the local Gauss–Lobatto spacing
  wall_parallel,  ///< Δ = (Δx Δz)^(1/2)
};
inline const EnumNames<FilterWidth> kFilterWidthNames{{FilterWidth::cube_root, "cube_root"},
                                                      {FilterWidth::wall_parallel, "wall_parallel"}};

enum class TestFilterKind {
  sharp,  ///< spectral cut-off: keeps |kx| < kx_c/2 and |kz| < kz_c/2 (kx_c = π/Δx, kz_c = π/Δz)
  box,    ///< top-hat of width 2Δx × 2Δz: transfer function sinc(kx Δx) sinc(kz Δz)
};
inline const EnumNames<TestFilterKind> kTestFilterKindNames{{TestFilterKind::sharp, "sharp"},
                                                            {TestFilterKind::box, "box"}};

/// The case's `sgs:` section.
struct SgsParams {
  SgsModelKind model = SgsModelKind::none;        ///< sgs.model
  double cs = 0.1;                                ///< sgs.cs
  double van_driest_a_plus = 25.0;                ///< sgs.van_driest_a_plus
  double cw = 0.325;                              ///< sgs.cw
  FilterWidth filter_width = FilterWidth::cube_root;  ///< sgs.filter_width
  TestFilterKind dsm_test_filter = TestFilterKind::sharp;  ///< sgs.dsm.test_filter
  /// Reads model, cs, cw, van_driest_a_plus, filter_width and dsm.test_filter.
  static SgsParams from(const ConfigSection& s);
  bool active() const { return model != SgsModelKind::none; }
};

/// Δ at every Gauss–Lobatto index j (y_j = cos(π j/M), the ChannelNSE order).
std::vector<double> les_filter_width(const spectral::ChannelGrid& g, FilterWidth w);
/// (Δ̂/Δ)² of the DSM test filter (ratio 2 in x and z) for the given definition of Δ.
double test_filter_width_ratio_squared(FilterWidth w);

// ---- pointwise kernels of the velocity gradient g[3 i + j] = g_ij = ∂u_i/∂x_j

/// |S| = (2 S_ij S_ij)^(1/2) of the velocity gradient g.
double strain_rate_magnitude(const double g[9]);
/// The WALE operator (S^d_ij S^d_ij)^(3/2) / ((S_ij S_ij)^(5/2) + (S^d_ij S^d_ij)^(5/4)) of g
/// (units of 1/time; 0 where the gradient vanishes).
double wale_operator(const double g[9]);
/// van Driest damping D = 1 − exp(−y+/A+) (1 when a_plus <= 0).
double van_driest_damping(double y_plus, double a_plus);

/// The resolved velocity and its gradient on a rank's y planes of the padded grid: each
/// array is [ny_local][nzp][nxp] (x fastest), the planes y0 .. y0+ny_local-1 of the
/// Gauss–Lobatto index.
struct ResolvedFields {
  const double* u[3] = {nullptr, nullptr, nullptr};      ///< u, v, w (dsm only)
  const double* omega[3] = {nullptr, nullptr, nullptr};  ///< vorticity ω = ∇ × u
  const double* s[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};  ///< S11, S22, S12, S13, S23
  double u_tau = 0.0;  ///< friction velocity of the state (smagorinsky with damping)
  /// g_ij = S_ij + Ω_ij at point q, with Ω_12 = −ω_3/2, Ω_13 = ω_2/2, Ω_23 = −ω_1/2 and
  /// S_33 = −S_11 − S_22 (continuity).
  void gradient(std::size_t q, double g[9]) const;
};

/// The part of the padded grid a model sees, and the viscosity it clips against.
struct SgsGeometry {
  spectral::ChannelGrid grid;
  int y0 = 0;        ///< Gauss–Lobatto index of the first local plane
  int ny_local = 0;  ///< local planes
  double nu = 0.0;   ///< molecular viscosity
  std::size_t plane() const { return std::size_t(grid.nxp()) * grid.nzp(); }
};

/// An eddy-viscosity model: ν_t from the resolved fields of this rank's planes. Models are
/// local to a rank (DSM averages over x–z planes, which a rank holds whole).
class SgsModel {
 public:
  SgsModel(const SgsParams& p, const SgsGeometry& geo);
  virtual ~SgsModel() = default;
  virtual SgsModelKind kind() const = 0;
  /// Writes ν_t at every local point (clipped at −ν) and, per local plane, the model
  /// coefficient C of ν_t = C Δ² |S| (smagorinsky: (C_s D)², dsm: the dynamic C(y)) or of
  /// ν_t = C Δ² OP_WALE (wale: C_w²).
  virtual void eddy_viscosity(const ResolvedFields& f, double* nu_t, double* coeff) = 0;
  virtual bool needs_velocity() const { return false; }
  virtual bool needs_friction_velocity() const { return false; }
  const SgsParams& params() const { return p_; }
  const SgsGeometry& geometry() const { return geo_; }
  /// Δ of every Gauss–Lobatto index.
  const std::vector<double>& filter_width() const { return delta_; }

 protected:
  SgsParams p_;
  SgsGeometry geo_;
  std::vector<double> delta_;
  std::vector<double> y_;
};

class NoSgsModel final : public SgsModel {
 public:
  using SgsModel::SgsModel;
  SgsModelKind kind() const override { return SgsModelKind::none; }
  void eddy_viscosity(const ResolvedFields& f, double* nu_t, double* coeff) override;
};

class SmagorinskyModel final : public SgsModel {
 public:
  using SgsModel::SgsModel;
  SgsModelKind kind() const override { return SgsModelKind::smagorinsky; }
  void eddy_viscosity(const ResolvedFields& f, double* nu_t, double* coeff) override;
  bool needs_friction_velocity() const override { return p_.van_driest_a_plus > 0.0; }
};

class WaleModel final : public SgsModel {
 public:
  using SgsModel::SgsModel;
  SgsModelKind kind() const override { return SgsModelKind::wale; }
  void eddy_viscosity(const ResolvedFields& f, double* nu_t, double* coeff) override;
};

/// Test filter of the dynamic model on x–z planes of the padded grid (width ratio 2 in x
/// and z, none in y): real FFT in x, complex FFT in z of the kx columns the filter keeps
/// (sharp: i < nx/4; box: all), transfer function, and back.
class TestFilter {
 public:
  TestFilter(const spectral::ChannelGrid& g, int n_planes, TestFilterKind kind);
  ~TestFilter();
  TestFilter(const TestFilter&) = delete;
  TestFilter& operator=(const TestFilter&) = delete;
  /// Filters n_planes planes [n_planes][nzp][nxp] in place.
  void apply(double* f) const;
  /// The filter's own buffer of n_planes planes, and its filtering in place (no copies).
  double* data() { return real_; }
  void apply_in_place() const;
  /// Transfer function of the padded-grid mode (i, j): i = 0..nxp/2 (kx = 2π i/lx), j the
  /// signed kz index (kz = 2π j/lz).
  double transfer(int i, int j) const;

 private:
  spectral::ChannelGrid g_;
  int n_planes_;
  TestFilterKind kind_;
  int ncols_ = 0;             // kx columns transformed in z and kept
  std::vector<double> gain_;  // [nzp][ncols], normalisation 1/(nxp nzp) included
  double* real_ = nullptr;    // [n_planes][nzp][nxp]
  void* spec_ = nullptr;      // [n_planes][nzp][nxp/2+1]
  void* xf_ = nullptr;
  void* xb_ = nullptr;
  void* zf_ = nullptr;
  void* zb_ = nullptr;
};

class DynamicSmagorinskyModel final : public SgsModel {
 public:
  DynamicSmagorinskyModel(const SgsParams& p, const SgsGeometry& geo);
  SgsModelKind kind() const override { return SgsModelKind::dsm; }
  void eddy_viscosity(const ResolvedFields& f, double* nu_t, double* coeff) override;
  bool needs_velocity() const override { return true; }
  const TestFilter& test_filter() const { return filter_; }

 private:
  TestFilter filter_;  // over 19 fields of the slab: u_i, u_i u_j, S_ij, |S| S_ij
  double alpha2_;
  std::vector<double> abs_s_;  // |S| of the slab
};

/// The model named by p.model for the given slab (NoSgsModel for none).
std::unique_ptr<SgsModel> make_sgs_model(const SgsParams& p, const SgsGeometry& geo);

}  // namespace iff::solvers
