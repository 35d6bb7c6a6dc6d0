#include "analysis/comparison_outcome.hpp"

#include <string>

#include "io/error.hpp"

namespace iff::analysis {

namespace {

/// Flat message of doubles (integers and characters are exact in a double).
struct Packer {
  std::vector<double> d;
  void put(double v) { d.push_back(v); }
  void put(const std::vector<double>& v) {
    put(double(v.size()));
    d.insert(d.end(), v.begin(), v.end());
  }
  void put(const std::vector<int>& v) {
    put(double(v.size()));
    d.insert(d.end(), v.begin(), v.end());
  }
  void put(const std::string& v) {
    put(double(v.size()));
    for (char ch : v) d.push_back(static_cast<unsigned char>(ch));
  }
};

struct Unpacker {
  const std::vector<double>& d;
  std::size_t at = 0;
  double num() { return d.at(at++); }
  int integer() { return static_cast<int>(num()); }
  std::vector<double> vec() {
    const auto n = static_cast<std::size_t>(num());
    std::vector<double> v(d.begin() + at, d.begin() + at + n);
    at += n;
    return v;
  }
  std::vector<int> ints() {
    const auto v = vec();
    return std::vector<int>(v.begin(), v.end());
  }
  std::string str() {
    std::string v;
    for (double x : vec()) v += static_cast<char>(static_cast<unsigned char>(x));
    return v;
  }
};

}  // namespace

SeriesTables tables_of(const ChannelStatistics& st, const SeriesComparison& cmp) {
  SeriesTables t;
  t.samples = st.samples();
  t.profiles = cmp.profiles(st);
  for (std::size_t s = 0; s < cmp.spectra_indices().size(); ++s) {
    t.ex.emplace_back();
    t.ez.emplace_back();
    for (int c = 0; c < 3; ++c) t.ex.back()[c] = st.spectrum_x(c, int(s)), t.ez.back()[c] = st.spectrum_z(c, int(s));
  }
  return t;
}

std::vector<double> pack(const Outcome& o) {
  Packer p;
  const auto& r = o.result;
  p.put(r.label), p.put(r.file), p.put(r.kind), p.put(r.n_traj), p.put(r.steps), p.put(r.completed);
  p.put(r.requested_steps);
  p.put(double(r.alignment.size()));
  for (const auto& a : r.alignment) p.put(a.ref_traj), p.put(a.ref_start);
  p.put(r.dt), p.put(r.error);
  for (const auto& e : r.error_c) p.put(e);
  p.put(r.error_fluct);
  p.put(r.count), p.put(r.energy), p.put(r.energy_ref), p.put(r.horizon_error), p.put(r.first_over);
  for (const auto& e : r.horizon_error_c) p.put(e);
  p.put(r.horizon_error_fluct);
  p.put(r.first_over_by_stop ? 1.0 : 0.0);
  for (double e : r.stats_error) p.put(e);
  p.put(r.u_tau_own), p.put(r.re_tau_own), p.put(r.slice_step), p.put(r.slice), p.put(r.slice_ref);
  const auto& t = o.tables;
  p.put(double(t.samples));
  for (const auto& v : t.profiles) p.put(v);
  p.put(double(t.ex.size()));
  for (std::size_t s = 0; s < t.ex.size(); ++s)
    for (int c = 0; c < 3; ++c) p.put(t.ex[s][c]), p.put(t.ez[s][c]);
  p.put(o.cost.wall_seconds);
  p.put(o.cost.simulated_time);
  p.put(o.cost.trajectory_time);
  p.put(o.cost.ranks);
  p.put(o.cost.threads);
  p.put(o.cost.source);
  return p.d;
}

Outcome unpack(const std::vector<double>& d) {
  Unpacker u{d};
  Outcome o;
  auto& r = o.result;
  r.label = u.str(), r.file = u.str(), r.kind = u.str();
  r.n_traj = u.integer(), r.steps = u.integer(), r.completed = u.ints();
  r.requested_steps = u.integer();
  r.alignment.resize(u.integer());
  for (auto& a : r.alignment) a.ref_traj = u.integer(), a.ref_start = u.integer();
  r.dt = u.num(), r.error = u.vec();
  for (auto& e : r.error_c) e = u.vec();
  r.error_fluct = u.vec();
  r.count = u.ints(), r.energy = u.vec(), r.energy_ref = u.vec(), r.horizon_error = u.vec();
  r.first_over = u.integer();
  for (auto& e : r.horizon_error_c) e = u.vec();
  r.horizon_error_fluct = u.vec();
  r.first_over_by_stop = u.num() != 0.0;
  for (double& e : r.stats_error) e = u.num();
  r.u_tau_own = u.num(), r.re_tau_own = u.num(), r.slice_step = u.integer(), r.slice = u.vec(), r.slice_ref = u.vec();
  auto& t = o.tables;
  t.samples = static_cast<long>(u.num());
  for (auto& v : t.profiles) v = u.vec();
  t.ex.resize(u.integer());
  t.ez.resize(t.ex.size());
  for (std::size_t s = 0; s < t.ex.size(); ++s)
    for (int c = 0; c < 3; ++c) t.ex[s][c] = u.vec(), t.ez[s][c] = u.vec();
  o.cost.wall_seconds = u.num();
  o.cost.simulated_time = u.num();
  o.cost.trajectory_time = u.num();
  o.cost.ranks = u.integer();
  o.cost.threads = u.integer();
  o.cost.source = u.str();
  IFF_CHECK(u.at == d.size(), "compare: candidate message of " << d.size() << " values read up to " << u.at);
  return o;
}

void gather_outcomes(std::vector<Outcome>& outcomes, MPI_Comm comm) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  for (int i = 0; i < static_cast<int>(outcomes.size()); ++i) {
    const int owner = i % size;
    if (owner == 0) continue;
    if (rank == owner) {
      const auto msg = pack(outcomes[i]);
      long len = static_cast<long>(msg.size());
      MPI_Send(&len, 1, MPI_LONG, 0, 2 * i, comm);
      MPI_Send(msg.data(), static_cast<int>(len), MPI_DOUBLE, 0, 2 * i + 1, comm);
    } else if (rank == 0) {
      long len = 0;
      MPI_Recv(&len, 1, MPI_LONG, owner, 2 * i, comm, MPI_STATUS_IGNORE);
      std::vector<double> msg(len);
      MPI_Recv(msg.data(), static_cast<int>(len), MPI_DOUBLE, owner, 2 * i + 1, comm, MPI_STATUS_IGNORE);
      outcomes[i] = unpack(msg);
    }
  }
}

}  // namespace iff::analysis
