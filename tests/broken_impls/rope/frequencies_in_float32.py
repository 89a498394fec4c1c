"""θ_i computed from an integer arange divided by Dk: float32, not the contract's float64."""

import torch

from solutions.rope import apply_rope, apply_rope_interleaved, interleaved_to_halves  # noqa: F401


def rope_frequencies(Dk, base=10000.0):
    return base ** (-torch.arange(0, Dk, 2) / Dk)  # int64 / int -> float32


MUST_FAIL = {
    "checks/test_rope.py::test_pair_i_turns_by_base_to_the_minus_2i_over_dk_radians_per_position",
}
