"""Absmax quantisation on the full two's-complement range −2^(bits−1)..2^(bits−1)−1 (−8..7 for int4) with
s = max|w| / 2^(bits−1): +max|w| needs code 8, which does not exist, so it is clipped to 7."""

import torch

from solutions.quantization import dequantize  # noqa: F401


def quantize_absmax(w, bits=8, axis=None):
    lo, hi = -2 ** (bits - 1), 2 ** (bits - 1) - 1  # int4: -8..7, "use every code"
    if axis is None:
        absmax = w.abs().amax()
    else:
        others = [d for d in range(w.dim()) if d != axis % w.dim()]
        absmax = w.abs().amax(dim=others, keepdim=True) if others else w.abs()
    scale = torch.where(absmax > 0, absmax / 2 ** (bits - 1), torch.ones_like(absmax))
    return torch.round(w / scale).clamp(lo, hi).to(torch.int8), scale


MUST_FAIL = {
    "checks/test_quantization.py::test_the_scale_is_the_largest_absolute_value_over_2_to_the_bits_minus_1_minus_1",
    "checks/test_quantization.py::test_dequantised_weights_are_within_half_a_step_of_the_originals",
    "checks/test_quantization.py::test_the_largest_weight_is_exact_and_negating_w_negates_the_codes",
}
