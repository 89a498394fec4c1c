"""interleaved_to_halves applies the inverse permutation (reads the halves as if they were
interleaved): the same for Dk = 4, wrong from Dk = 6 on."""

from solutions.rope import apply_rope, apply_rope_interleaved, rope_frequencies


def interleaved_to_halves(x):
    Dk = x.size(-1)
    return x.unflatten(-1, (2, Dk // 2)).transpose(-1, -2).flatten(-2)


MUST_FAIL = {
    "checks/test_rope.py::test_interleaved_to_halves_sends_features_2i_and_2i_plus_1_to_i_and_i_plus_half",
}
