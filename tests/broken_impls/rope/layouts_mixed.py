"""apply_rope rotates adjacent pairs (2i, 2i+1), the paper's layout, where the contract (and
Hugging Face's LLaMA, `rotate_half`) pairs feature i with feature i + Dk/2."""

from solutions.rope import apply_rope_interleaved, interleaved_to_halves, rope_frequencies


def apply_rope(x, positions, base=10000.0, scale=1.0):
    return apply_rope_interleaved(x, positions, base, scale)  # "RoPE is RoPE"


MUST_FAIL = {
    "checks/test_rope.py::test_rope_is_the_block_diagonal_rotation_of_the_definition_in_both_layouts",
    "checks/test_rope.py::test_pair_i_turns_by_base_to_the_minus_2i_over_dk_radians_per_position",
    "checks/test_rope.py::test_the_two_layouts_differ_by_one_fixed_permutation_of_the_features",
    "checks/test_rope.py::test_a_checkpoint_run_in_the_other_layout_scores_differently_until_wq_and_wk_rows_are_permuted",
}
