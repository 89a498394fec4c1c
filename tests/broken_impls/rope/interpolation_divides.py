"""Position interpolation divides the positions by the scale (stretching them past the
trained range) instead of multiplying them by s = L / L'."""

import torch

from solutions.rope import interleaved_to_halves, rope_frequencies


def _cos_sin(x, positions, base, scale):
    angles = (positions.to(torch.float64) / scale)[..., None] * rope_frequencies(x.size(-1), base)
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
    "checks/test_rope.py::test_rope_is_the_block_diagonal_rotation_of_the_definition_in_both_layouts",
    "checks/test_rope.py::test_position_interpolation_at_scale_s_is_plain_rope_at_position_m_times_s",
}
