"""The frequencies run the wrong way: pair 0 gets the slowest rotation and the last pair
turns at 1 rad per position."""

import torch

from solutions.rope import interleaved_to_halves


def rope_frequencies(Dk, base=10000.0):
    return base ** (-torch.arange(Dk - 2, -1, -2, dtype=torch.float64) / Dk)  # i runs backwards


def _cos_sin(x, positions, base, scale):
    angles = (positions.to(torch.float64) * scale)[..., None] * rope_frequencies(x.size(-1), base)
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
    "checks/test_rope.py::test_pair_i_turns_by_base_to_the_minus_2i_over_dk_radians_per_position",
    "checks/test_rope.py::test_a_larger_base_lowers_every_frequency_but_the_first",
}
