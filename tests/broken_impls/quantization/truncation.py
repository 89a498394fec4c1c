"""Absmax quantisation that truncates toward zero (an int cast) instead of rounding to the nearest integer."""

import torch

from solutions.quantization import dequantize  # noqa: F401


def quantize_absmax(w, bits=8, axis=None):
    qmax = 2 ** (bits - 1) - 1
    if axis is None:
        absmax = w.abs().amax()
    else:
        others = [d for d in range(w.dim()) if d != axis % w.dim()]
        absmax = w.abs().amax(dim=others, keepdim=True) if others else w.abs()
    scale = torch.where(absmax > 0, absmax / qmax, torch.ones_like(absmax))
    return (w / scale).to(torch.int8), scale  # .to(int8) truncates: 2.9 -> 2, -2.9 -> -2


MUST_FAIL = {
    "checks/test_quantization.py::test_the_codes_are_w_over_the_scale_rounded_to_the_nearest_integer_within_minus_qmax_to_qmax",
    "checks/test_quantization.py::test_dequantised_weights_are_within_half_a_step_of_the_originals",
    "checks/test_quantization.py::test_the_rms_error_is_the_step_over_root_12_so_int4_is_about_18_times_worse_than_int8",
}
