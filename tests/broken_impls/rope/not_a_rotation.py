"""A sign slip in the rotation: out = (a cos + b sin, a sin + b cos), which is no rotation
(it stretches and shears the pair), so norms change and the score stops being relative."""

import torch

from solutions.rope import _cos_sin, interleaved_to_halves, rope_frequencies


def apply_rope(x, positions, base=10000.0, scale=1.0):
    cos, sin = _cos_sin(x, positions, base, scale)
    a, b = x.chunk(2, dim=-1)
    return torch.cat([a * cos + b * sin, a * sin + b * cos], dim=-1)


def apply_rope_interleaved(x, positions, base=10000.0, scale=1.0):
    cos, sin = _cos_sin(x, positions, base, scale)
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack([a * cos + b * sin, a * sin + b * cos], dim=-1).flatten(-2)


MUST_FAIL = {
    "checks/test_rope.py::test_rope_is_the_block_diagonal_rotation_of_the_definition_in_both_layouts",
    "checks/test_rope.py::test_rope_keeps_the_norm_of_every_rotated_pair",
    "checks/test_rope.py::test_rope_score_depends_on_the_two_positions_only_through_their_offset",
}
