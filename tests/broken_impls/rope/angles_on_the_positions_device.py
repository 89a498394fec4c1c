"""The angle table is built wherever the positions live (the CPU), not on x's device."""

import torch

from solutions.rope import interleaved_to_halves, rope_frequencies  # noqa: F401


def _cos_sin(x, positions, base, scale):
    theta = rope_frequencies(x.size(-1), base)
    angles = (positions.double() * scale)[..., None] * theta  # no .to(x.device)
    return angles.cos().to(x.dtype), angles.sin().to(x.dtype)


def apply_rope(x, positions, base=10000.0, scale=1.0):
    cos, sin = _cos_sin(x, positions, base, scale)
    a, b = x.chunk(2, dim=-1)
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)


def apply_rope_interleaved(x, positions, base=10000.0, scale=1.0):
    cos, sin = _cos_sin(x, positions, base, scale)
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)


MUST_FAIL = {
    "checks/test_rope.py::test_rope_output_is_on_the_device_of_x_even_with_positions_on_the_cpu",
}
