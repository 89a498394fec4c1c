"""The positions are normalised by the sequence length (t / T) before the sinusoids, so the code of t depends on T."""

import torch

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  with positions
from solutions.cross_attention import CrossAttention  # noqa: F401


def sinusoidal_positions(T, D, dtype=torch.float32):
    t = torch.arange(T, dtype=torch.float64)[:, None] / max(T, 1)  # "relative" position in [0, 1)
    w = 10000.0 ** (-torch.arange(0, D, 2, dtype=torch.float64) / D)
    pe = torch.empty(T, D, dtype=torch.float64)
    pe[:, 0::2] = (t * w).sin()
    pe[:, 1::2] = (t * w).cos()
    return pe.to(dtype)


MUST_FAIL = {
    "checks/test_masking.py::test_with_left_padding_position_ids_must_count_from_each_sequences_first_real_token",
    "checks/test_positional.py::test_a_position_gets_the_same_encoding_whatever_the_sequence_length",
    "checks/test_positional.py::test_added_sinusoidal_positions_give_projected_scores_that_depend_on_absolute_position",
    "checks/test_positional.py::test_all_sine_variant_leaves_many_dimensions_nearly_constant",
    "checks/test_positional.py::test_dims_0_and_1_change_fastest_and_the_last_pair_slowest",
    "checks/test_positional.py::test_dot_product_of_two_encodings_depends_only_on_their_distance",
    "checks/test_positional.py::test_encoding_is_defined_and_bounded_at_position_one_million",
    "checks/test_positional.py::test_far_positions_are_accurate_to_the_requested_dtype",
    "checks/test_positional.py::test_nearby_positions_are_similar_but_similarity_is_not_monotone_in_distance",
    "checks/test_positional.py::test_no_two_of_the_first_2048_positions_share_an_encoding",
    "checks/test_positional.py::test_pe_at_t_plus_k_is_a_rotation_of_pe_at_t_that_does_not_depend_on_t",
    "checks/test_positional.py::test_sinusoidal_table_matches_the_formula_computed_by_hand",
    "checks/test_positional.py::test_wavelengths_grow_geometrically_from_2pi_to_almost_10000_times_2pi",
}
