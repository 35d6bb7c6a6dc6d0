// The operator stepper in a build without libtorch: `rollout` with rollout.solver works, and
// rollout.checkpoint is refused in one line (exit status 2, as for the commands not built).
#include "apps/commands.hpp"
#include "operators/operator_stepper.hpp"

namespace iff::operators {

namespace {
[[noreturn]] void refuse(const std::string& checkpoint) {
  throw app::NotBuilt("rollout.checkpoint " + checkpoint +
                      ": a trained operator needs libtorch, and this ifactflow was built without it "
                      "(rollout.solver runs an LES or DNS case without it)");
}
}  // namespace

std::unique_ptr<rollout::Stepper> make_operator_stepper(const OperatorStepperOptions& o) { refuse(o.checkpoint); }
rollout::StepperSource operator_stepper_source(const OperatorStepperOptions& o) { refuse(o.checkpoint); }
std::vector<int> checkpoint_grid(const std::string& checkpoint) { refuse(checkpoint); }
std::vector<double> checkpoint_box(const std::string& checkpoint) { refuse(checkpoint); }
std::string checkpoint_model_kind(const std::string& checkpoint) { refuse(checkpoint); }
int intra_op_threads() { return 1; }
int checkpoint_validation_trajectories(const std::string& checkpoint, int) { refuse(checkpoint); }

}  // namespace iff::operators
