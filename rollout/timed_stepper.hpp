// A stepper that adds the wall-clock spent in the inner stepper's advance() (the model
// itself) to a counter, for the cost record.
#pragma once

#include <mpi.h>

#include "rollout/stepper.hpp"

namespace iff::rollout {

class TimedStepper : public Stepper {
 public:
  TimedStepper(Stepper& inner, double& seconds) : inner_(inner), seconds_(seconds) {}
  int window() const override { return inner_.window(); }
  void advance(const std::vector<int>& ids, const std::vector<std::vector<const Field*>>& history,
               std::vector<Field>& next) override {
    const double t0 = MPI_Wtime();
    inner_.advance(ids, history, next);
    seconds_ += MPI_Wtime() - t0;
  }
  std::string describe() const override { return inner_.describe(); }
  double memory_bytes(int batch, std::string* how) const override { return inner_.memory_bytes(batch, how); }

 private:
  Stepper& inner_;
  double& seconds_;
};

}  // namespace iff::rollout
