"""Absmax quantisation whose scale comes from the mean |w| instead of the max, clipping the large weights."""

import torch

from solutions.quantization import dequantize  # noqa: F401


def quantize_absmax(w, bits=8, axis=None):
    qmax = 2 ** (bits - 1) - 1
    if axis is None:
        typical = w.abs().mean()
    else:
        others = [d for d in range(w.dim()) if d != axis % w.dim()]
        typical = w.abs().mean(dim=others, keepdim=True) if others else w.abs()
    scale = torch.where(typical > 0, typical / qmax, torch.ones_like(typical))  # "the typical size"
    return torch.round(w / scale).clamp(-qmax, qmax).to(torch.int8), scale


MUST_FAIL = {
    "checks/test_quantization.py::test_the_scale_is_the_largest_absolute_value_over_2_to_the_bits_minus_1_minus_1",
    "checks/test_quantization.py::test_the_codes_are_w_over_the_scale_rounded_to_the_nearest_integer_within_minus_qmax_to_qmax",
    "checks/test_quantization.py::test_dequantised_weights_are_within_half_a_step_of_the_originals",
    "checks/test_quantization.py::test_the_largest_weight_is_exact_and_negating_w_negates_the_codes",
}
