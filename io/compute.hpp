// Where and in what precision a neural operator computes: the choices of train.device,
// train.dtype, rollout.device and rollout.dtype.
#pragma once

#include "io/enum_names.hpp"

namespace iff {

enum class Device { cpu, cuda };
inline const EnumNames<Device> kDeviceNames{{Device::cpu, "cpu"}, {Device::cuda, "cuda"}};

/// checkpoint: the precision the weights are stored in (a rollout only).
enum class Precision { checkpoint, float32, float64 };
inline const EnumNames<Precision> kRolloutPrecisionNames{
    {Precision::checkpoint, "checkpoint"}, {Precision::float32, "float32"}, {Precision::float64, "float64"}};
inline const EnumNames<Precision> kTrainPrecisionNames{{Precision::float32, "float32"},
                                                      {Precision::float64, "float64"}};

}  // namespace iff
