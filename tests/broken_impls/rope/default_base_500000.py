"""LLaMA 3's base 500000 as the default instead of the 10000 of the Transformer and LLaMA 1/2."""

import torch

from solutions.rope import _cos_sin, interleaved_to_halves  # noqa: F401


def rope_frequencies(Dk, base=500000.0):
    return base ** (-torch.arange(0, Dk, 2, dtype=torch.float64) / Dk)


def apply_rope(x, positions, base=500000.0, scale=1.0):
    cos, sin = _cos_sin(x, positions, base, scale)
    a, b = x.chunk(2, dim=-1)
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)


def apply_rope_interleaved(x, positions, base=500000.0, scale=1.0):
    cos, sin = _cos_sin(x, positions, base, scale)
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)


MUST_FAIL = {
    "checks/test_rope.py::test_the_default_base_is_10000_as_in_the_transformer_and_llama_1_and_2",
}
