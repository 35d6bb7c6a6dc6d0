// How the three axial kernels of a factorized attention block combine (torch-free).
#pragma once

namespace iff::attention {

enum class Factorization {
  parallel,  ///< IFactFormer-m: K_x, K_y, K_z act on V side by side, results concatenated
  chained,   ///< IFactFormer-o: K_z(K_y(K_x V))
};

}  // namespace iff::attention
