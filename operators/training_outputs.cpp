#include "operators/training_outputs.hpp"

#include <sstream>

#include <fmt/format.h>

#include "io/agreed.hpp"
#include "io/fsutil.hpp"

namespace iff::operators {

TrainLog::TrainLog() : text_("epoch,step,lr,train_loss,val_loss,seconds,samples_per_s\n") {}

void TrainLog::keep_rows(const std::string& text, int64_t epochs) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (std::stoll(line.substr(0, line.find(','))) <= epochs) text_ += line + "\n";
  }
}

void TrainLog::add(int64_t epoch, int64_t step, double lr, double train_loss, double val_loss, double seconds,
                   double samples_per_s) {
  text_ += fmt::format("{},{},{:.6e},{:.8e},{:.8e},{:.3f},{:.3f}\n", epoch, step, lr, train_loss, val_loss, seconds,
                       samples_per_s);
}

TrainOutputs::TrainOutputs(const std::string& output_dir, MPI_Comm comm)
    : dir_(output_dir),
      last_(output_dir + "/last.ckpt"),
      best_(output_dir + "/best.ckpt"),
      log_(output_dir + "/train_log.csv"),
      comm_(comm) {
  MPI_Comm_rank(comm, &rank_);
}

void TrainOutputs::write_config(const std::string& config) const {
  run_agreed(comm_, [&] {
    if (rank_ == 0 && !config.empty()) write_text_atomic(dir_ + "/config.resolved.yaml", config);
  });
}

void TrainOutputs::save_last(const Model& model, const CheckpointData& data, const torch::optim::Optimizer& opt) const {
  run_agreed(comm_, [&] {
    if (rank_ == 0) save_checkpoint(last_, model, data, &opt);
  });
}

void TrainOutputs::save_epoch(const TrainLog& log, bool best, const Model& model, const CheckpointData& data,
                              const torch::optim::Optimizer& opt) const {
  run_agreed(comm_, [&] {
    if (rank_ != 0) return;
    write_text_atomic(log_, log.text());
    if (best) save_checkpoint(best_, model, data, &opt);
    save_checkpoint(last_, model, data, &opt);
  });
}

}  // namespace iff::operators
