#include "io/config.hpp"
#include "operators/model_config.hpp"
#include "operators/training.hpp"

namespace iff::operators {

TrainSetup TrainSetup::from(const Config& cfg) {
  TrainSetup setup;
  setup.data = DataParams::from(cfg.section("data"));
  setup.model = model_spec_from(cfg.section("model"));
  setup.train = TrainParams::from(cfg.section("train"));
  setup.output_dir = cfg.section("output").get_path("dir", "out/train", "output folder: checkpoints, train_log.csv");
  return setup;
}

}  // namespace iff::operators
