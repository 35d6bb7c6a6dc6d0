#include "operators/normalization.hpp"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "io/error.hpp"

namespace iff::operators {

Normalization Normalization::identity(int channels) {
  Normalization n;
  n.in_mean.assign(channels, 0.0);
  n.out_mean.assign(channels, 0.0);
  n.in_std.assign(channels, 1.0);
  n.out_std.assign(channels, 1.0);
  return n;
}

std::vector<double> Normalization::std_from_moments(const std::vector<double>& sum, const std::vector<double>& sum_sq,
                                                    double count, std::vector<double>* mean) {
  IFF_CHECK_AS(InputError, count > 0, "normalisation: the training split holds no data");
  std::vector<double> sd(sum.size());
  mean->resize(sum.size());
  for (std::size_t c = 0; c < sum.size(); ++c) {
    (*mean)[c] = sum[c] / count;
    // unbiased, as the reference's torch.std
    const double var = std::max(sum_sq[c] - count * (*mean)[c] * (*mean)[c], 0.0) / std::max(count - 1.0, 1.0);
    sd[c] = std::sqrt(var);
    IFF_CHECK_AS(InputError, sd[c] > 1e-12, "normalisation: component " << c << " of the training data is constant");
  }
  return sd;
}

namespace {
torch::Tensor as_tensor(const std::vector<double>& v, const torch::Tensor& like) {
  return torch::tensor(v, torch::kFloat64).to(like.options());
}
}  // namespace

torch::Tensor Normalization::normalize_input(const torch::Tensor& u) const {
  return (u - as_tensor(in_mean, u)) / as_tensor(in_std, u);
}
torch::Tensor Normalization::normalize_target(const torch::Tensor& u) const {
  return (u - as_tensor(out_mean, u)) / as_tensor(out_std, u);
}
torch::Tensor Normalization::denormalize_output(const torch::Tensor& u) const {
  return u * as_tensor(out_std, u) + as_tensor(out_mean, u);
}

std::string Normalization::text() const {
  std::ostringstream s;
  s.precision(17);
  auto line = [&](const char* k, const std::vector<double>& v) {
    s << k << ":";
    for (double x : v) s << " " << x;
    s << "\n";
  };
  line("in_mean", in_mean);
  line("in_std", in_std);
  line("out_mean", out_mean);
  line("out_std", out_std);
  return s.str();
}

Normalization Normalization::from_text_file(const std::string& path) {
  std::ifstream f(path);
  IFF_CHECK_AS(InputError, f.good(), "cannot read normalisation file " << path);
  std::map<std::string, std::vector<double>> kv;
  std::string line;
  while (std::getline(f, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos || line[0] == '#') continue;
    std::istringstream values(line.substr(colon + 1));
    std::vector<double> v;
    double x;
    while (values >> x) v.push_back(x);
    kv[line.substr(0, colon)] = v;
  }
  Normalization n;
  auto take = [&](const char* key, std::vector<double>& dst, bool positive) {
    auto it = kv.find(key);
    IFF_CHECK_AS(InputError, it != kv.end() && it->second.size() == 3,
                 "normalisation file " << path << ": '" << key << "' must hold 3 numbers");
    for (double x : it->second) IFF_CHECK_AS(InputError, !positive || x > 0, "normalisation file " << path << ": '" << key << "' must be positive");
    dst = it->second;
    kv.erase(it);
  };
  take("in_mean", n.in_mean, false);
  take("in_std", n.in_std, true);
  take("out_mean", n.out_mean, false);
  take("out_std", n.out_std, true);
  IFF_CHECK_AS(InputError, kv.empty(), "normalisation file " << path << ": unknown key '" << kv.begin()->first << "'");
  return n;
}

}  // namespace iff::operators
