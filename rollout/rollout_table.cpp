#include "rollout/rollout_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "io/fsutil.hpp"

namespace iff::rollout {

std::string gather_text(const std::string& mine, MPI_Comm comm) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int len = static_cast<int>(mine.size());
  std::vector<int> lens(size), offs(size, 0);
  MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, comm);
  std::string all;
  if (rank == 0) {
    for (int r = 1; r < size; ++r) offs[r] = offs[r - 1] + lens[r - 1];
    all.resize(offs.back() + lens.back());
  }
  MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offs.data(), MPI_CHAR, 0, comm);
  return all;
}

RolloutTable::Key RolloutTable::key(const std::string& line) {
  const auto c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
  return {std::stol(line.substr(0, c1)), std::stol(line.substr(c2 + 1, c3 - c2 - 1))};
}

RolloutTable::RolloutTable(std::string path, MPI_Comm comm, int resume_step) : path_(std::move(path)), comm_(comm) {
  mine_.precision(10);
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  if (resume_step < 0 || rank != 0) return;
  std::ifstream in(path_);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line))
    if (!line.empty() && key(line).first <= resume_step) rows_.push_back({key(line), line});
}

void RolloutTable::add(int step, double t, int trajectory, double kinetic_energy, double u_centre,
                       const std::vector<double>& errors) {
  mine_ << step << "," << t << "," << trajectory << "," << kinetic_energy << "," << u_centre;
  if (errors.empty()) {
    mine_ << ",,,,,";
  } else {
    for (double v : errors) mine_ << "," << fmt::format("{:.10g}", v);
  }
  mine_ << "\n";
}

void RolloutTable::collect() {
  const std::string fresh = gather_text(mine_.str(), comm_);
  mine_.str(std::string());
  std::istringstream in(fresh);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) rows_.push_back({key(line), line});
  std::sort(rows_.begin(), rows_.end());  // by step, then trajectory
}

void RolloutTable::write() const {
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  if (rank != 0) return;
  std::string csv = "step,t,trajectory,kinetic_energy,u_centre,err_u,err_v,err_w,err_total,err_fluct\n";
  for (const auto& r : rows_) csv += r.second + "\n";
  write_text_atomic(path_, csv);
}

}  // namespace iff::rollout
