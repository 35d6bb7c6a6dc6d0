// Per-component mean/std normalisation of operator inputs and targets:
//   ũ_c = (u_c − μ_c) / σ_c,  u_c = ũ_c σ_c + μ_c,   c = velocity component (last axis).
// μ and σ come from the training split (over all its points and snapshots; σ with the
// unbiased n − 1 divisor, as the reference's torch.std);
// identity (μ = 0, σ = 1) for imported weights unless given.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace iff::operators {

struct Normalization {
  std::vector<double> in_mean{0, 0, 0}, in_std{1, 1, 1};    ///< inputs (velocity units)
  std::vector<double> out_mean{0, 0, 0}, out_std{1, 1, 1};  ///< targets (velocity units)

  static Normalization identity(int channels = 3);
  /// From moments accumulated over the training split: sums of u_c and u_c² and the count.
  static std::vector<double> std_from_moments(const std::vector<double>& sum, const std::vector<double>& sum_sq,
                                              double count, std::vector<double>* mean);

  torch::Tensor normalize_input(const torch::Tensor& u) const;     ///< channels last
  torch::Tensor normalize_target(const torch::Tensor& u) const;
  torch::Tensor denormalize_output(const torch::Tensor& u) const;

  /// Reads "in_mean: a b c" ... lines (the --norm file of `ifactflow convert`); InputError
  /// naming the file and key otherwise.
  static Normalization from_text_file(const std::string& path);
  std::string text() const;
};

}  // namespace iff::operators
