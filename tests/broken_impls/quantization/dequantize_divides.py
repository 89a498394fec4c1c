"""Dequantisation that divides the codes by the scale (mixing up s with the 1/s that quantisation multiplies by)."""

from solutions.quantization import quantize_absmax  # noqa: F401


def dequantize(q, scale):
    return q.to(scale.dtype) / scale


MUST_FAIL = {
    "checks/test_quantization.py::test_dequantize_multiplies_the_codes_by_the_scale_broadcast_over_its_slice",
}
