// Model kinds and hyper-parameters of the four neural operators, and the grid they run on
// (torch-free, so that the command line and the case-file code need no libtorch headers).
// The equations are documented with each model: operators/ifactformer.hpp (IFactFormer-m
// and -o) and operators/fno.hpp (FNO3d, IFNO3d).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attention/factorization.hpp"
#include "io/enum_names.hpp"

namespace iff::operators {

/// Coordinates the positional features and rotary embeddings see.
enum class Positions {
  reference,  ///< linspace(0, L, n) with the end point, L = (Lx, 2, Lz), in float32 as the reference's
              ///< get_pos_lst: the convention its weights were trained with
  grid,       ///< the actual node coordinates of the series
};
inline const EnumNames<Positions> kPositionsNames{{Positions::reference, "reference"}, {Positions::grid, "grid"}};

/// Axis coordinates for a model: [nx], [ny], [nz] (float64).
struct AxisCoordinates {
  std::vector<double> x, y, z;
};
/// The coordinates of `convention` for a grid with node coordinates x, y, z and box lx, lz.
AxisCoordinates make_positions(Positions convention, const std::vector<double>& x, const std::vector<double>& y,
                               const std::vector<double>& z, double lx, double lz);

struct IFactFormerOptions {
  int64_t dim = 96;               ///< latent channel width
  int64_t heads = 5;              ///< attention heads
  int64_t dim_head = 96;          ///< value width per head
  int64_t kernel_multiplier = 3;  ///< query/key width per head = dim_head·kernel_multiplier
  int64_t n_layer = 10;           ///< iterations of the shared block
  int64_t depth = 1;              ///< independent (positional features, block) pairs; reference 1
  int64_t in_dim = 3;             ///< input channels per snapshot
  int64_t out_dim = 3;            ///< output channels
  int64_t in_time_window = 1;     ///< snapshots in the input window T
  double fourier_scale = 8.0;     ///< std of the Gaussian Fourier matrix B
  attention::Factorization factorization = attention::Factorization::parallel;  ///< -m or -o
  bool checkpoint_activations = false;  ///< recompute each block in backward (memory ↓, compute ↑)
};

enum class Target { next, increment };
inline const EnumNames<Target> kTargetNames{{Target::next, "next"}, {Target::increment, "increment"}};

struct FnoOptions {
  int64_t modes_x = 8;       ///< kept |kx| < modes_x (both signs)
  int64_t modes_y = 8;       ///< kept |ky| < modes_y (both signs; counted on the padded y grid)
  int64_t modes_z = 8;       ///< kept kz < modes_z (rfft half)
  int64_t width = 20;        ///< channels of the hidden field
  int64_t n_layer = 4;       ///< layers (FNO) or implicit iterations (IFNO)
  int64_t in_time_window = 1;  ///< snapshots in the input window T_in
  int64_t pad_y = 0;         ///< zero points appended in y before the spectral layers
  int64_t channels = 3;      ///< velocity components in and out
  int64_t projection = 128;  ///< hidden width of the output projection
  Target target = Target::next;
  bool implicit = false;     ///< true: IFNO3d (one shared layer)
};

enum class ModelKind { ifactformer_m, ifactformer_o, fno, ifno };
inline const EnumNames<ModelKind> kModelKindNames{{ModelKind::ifactformer_m, "ifactformer-m"},
                                                  {ModelKind::ifactformer_o, "ifactformer-o"},
                                                  {ModelKind::fno, "fno"},
                                                  {ModelKind::ifno, "ifno"}};
inline std::string to_string(ModelKind k) { return kModelKindNames.name(k); }

/// Everything needed to rebuild a model (weights aside).
struct ModelSpec {
  ModelKind kind = ModelKind::ifactformer_m;
  IFactFormerOptions ifactformer;  ///< used by ifactformer-m/-o
  FnoOptions fno;                  ///< used by fno/ifno
  Positions positions = Positions::reference;  ///< IFactFormer coordinate convention
  std::vector<double> x, y, z;     ///< grid node coordinates (h units)
  double lx = 0.0, lz = 0.0;       ///< box lengths in x and z (h units)

  int64_t in_time_window() const;
  bool is_ifactformer() const { return kind == ModelKind::ifactformer_m || kind == ModelKind::ifactformer_o; }
  /// Hyper-parameters as "key: value" lines (the keys of a case file's model section).
  std::string hyper_text() const;
  /// Inverse of hyper_text() for the hyper-parameters (grid fields untouched).
  static ModelSpec from_hyper_text(const std::string& text);
  /// A uniform periodic x, z grid and Chebyshev–Gauss–Lobatto y (the DNS grid).
  static std::vector<double> periodic_axis(int n, double length);
  static std::vector<double> chebyshev_axis(int n);
};

}  // namespace iff::operators
