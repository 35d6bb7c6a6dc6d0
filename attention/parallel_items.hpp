// A dynamic share-out of independent items over libtorch's intra-op threads, for the
// kernels of attention/ that call RowGemm (attention/row_gemm.hpp) on blocks of points.
//
// at::parallel_for's OpenMP pragma is compiled in the calling file: a file that includes
// this header needs the OpenMP compile flags (attention/CMakeLists.txt), or it runs serially.
#pragma once

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace iff::attention {

/// Runs f(item) for item = 0 .. count−1 on the intra-op threads, handing the items out in
/// order as threads free up (a shared machine's other load delays threads unevenly). Each
/// item must write outputs of its own, so that the result does not depend on which thread
/// ran it.
template <class F>
void for_each_item(int64_t count, F&& f) {
  std::atomic<int64_t> next{0};
  const int64_t workers = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), count));
  at::parallel_for(0, workers, 1, [&](int64_t begin, int64_t end) {
    for (int64_t w = begin; w < end; ++w)
      for (int64_t i; (i = next++) < count;) f(i);
  });
}

}  // namespace iff::attention
