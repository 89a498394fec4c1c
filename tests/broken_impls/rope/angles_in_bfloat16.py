"""The angle table is built in bfloat16 (as it would be under autocast): positions past 256
round to multiples of 2, 4, 8 ..., so far positions get the wrong angles."""

import torch

from solutions.rope import interleaved_to_halves, rope_frequencies


def _cos_sin(x, positions, base, scale):
    theta = rope_frequencies(x.size(-1), base).to(torch.bfloat16)
    angles = (positions.to(torch.bfloat16) * scale)[..., None] * theta
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
    "checks/test_rope.py::test_rope_score_depends_on_the_two_positions_only_through_their_offset",
}
