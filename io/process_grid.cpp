#include "io/process_grid.hpp"

#include "io/comm.hpp"
#include "io/error.hpp"

namespace iff {

ProcessGrid::ProcessGrid(MPI_Comm comm, int group_size, const std::string& key) : size_(group_size) {
  const int ranks = comm_size(comm), rank = comm_rank(comm);
  IFF_REQUIRE(group_size >= 1 && ranks % group_size == 0,
              key << " = " << group_size << " needs a rank count it divides; this job has " << ranks << " rank(s)");
  groups_ = ranks / group_size;
  group_ = rank / group_size;
  group_rank_ = rank % group_size;
  if (group_size > 1) MPI_Comm_split(comm, group_, group_rank_, &group_comm_);
}

ProcessGrid::~ProcessGrid() {
  if (group_comm_ != MPI_COMM_SELF) MPI_Comm_free(&group_comm_);
}

}  // namespace iff
