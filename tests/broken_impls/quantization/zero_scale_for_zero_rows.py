"""Absmax quantisation that divides by a zero scale when a whole channel is zero: 0 / 0 gives NaN codes."""

import torch

from solutions.quantization import dequantize  # noqa: F401


def quantize_absmax(w, bits=8, axis=None):
    qmax = 2 ** (bits - 1) - 1
    if axis is None:
        absmax = w.abs().amax()
    else:
        others = [d for d in range(w.dim()) if d != axis % w.dim()]
        absmax = w.abs().amax(dim=others, keepdim=True) if others else w.abs()
    scale = absmax / qmax  # 0 for an all-zero channel
    return torch.round(w / scale).to(torch.int8), scale  # NaN -> an arbitrary int8


MUST_FAIL = {
    "checks/test_quantization.py::test_an_all_zero_row_gets_codes_0_and_dequantises_to_0",
}
