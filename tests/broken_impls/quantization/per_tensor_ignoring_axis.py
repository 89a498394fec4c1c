"""Absmax quantisation that always uses one scale for the whole tensor, even when a channel axis is asked for."""

import torch

from solutions.quantization import dequantize  # noqa: F401


def quantize_absmax(w, bits=8, axis=None):
    qmax = 2 ** (bits - 1) - 1
    scale = w.abs().max() / qmax  # per tensor whatever `axis` says
    if axis is not None:
        shape = [1] * w.dim()
        shape[axis] = w.shape[axis]
        scale = scale.expand(shape)  # the right shape, one value
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    return torch.round(w / scale).to(torch.int8), scale


MUST_FAIL = {
    "checks/test_quantization.py::test_the_scale_is_the_largest_absolute_value_over_2_to_the_bits_minus_1_minus_1",
    "checks/test_quantization.py::test_per_channel_scales_leave_the_rows_beside_an_outlier_row_untouched_while_one_tensor_scale_spoils_them",
    "checks/test_quantization.py::test_one_outlier_input_feature_inflates_every_row_scale_so_per_row_scales_do_not_help",
}
