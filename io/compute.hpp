// Where and in what precision a neural operator computes: the choices of train.device,
// train.dtype, train.precision, rollout.device, rollout.dtype and rollout.precision.
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

/// The arithmetic of a float32 operator's large matrix products (attention/mixed_precision.hpp).
/// fp32: all in float32. bf16_mixed: the products over all points (values, output and
/// pointwise maps) with bfloat16 operands and float32 accumulation; the axial products,
/// normalisations, reductions, residual updates, FFTs and spectral weights, and the state
/// between rollout steps, in float32.
enum class Arithmetic { fp32, bf16_mixed };
inline const EnumNames<Arithmetic> kArithmeticNames{{Arithmetic::fp32, "fp32"}, {Arithmetic::bf16_mixed, "bf16-mixed"}};

}  // namespace iff
