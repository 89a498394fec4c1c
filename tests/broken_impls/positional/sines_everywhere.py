"""Every dimension d gets sin(t / 10000^(2d/D)), with no cosines (the formula one source prints)."""

import torch

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  with positions
from solutions.cross_attention import CrossAttention  # noqa: F401


def sinusoidal_positions(T, D, dtype=torch.float32):
    t = torch.arange(T, dtype=torch.float64)[:, None]
    d = torch.arange(D, dtype=torch.float64)
    return torch.sin(t / 10000 ** (2 * d / D)).to(dtype)


MUST_FAIL = {
    "checks/test_positional.py::test_added_sinusoidal_positions_give_projected_scores_that_depend_on_absolute_position",
    "checks/test_positional.py::test_all_sine_variant_encodes_position_zero_as_the_zero_vector",
    "checks/test_positional.py::test_all_sine_variant_has_no_linear_map_from_position_t_to_t_plus_k",
    "checks/test_positional.py::test_all_sine_variant_leaves_many_dimensions_nearly_constant",
    "checks/test_positional.py::test_dot_product_of_two_encodings_depends_only_on_their_distance",
    "checks/test_positional.py::test_encoding_is_defined_and_bounded_at_position_one_million",
    "checks/test_positional.py::test_every_value_is_in_minus_one_to_one_and_every_row_has_norm_sqrt_d_over_2",
    "checks/test_positional.py::test_far_positions_are_accurate_to_the_requested_dtype",
    "checks/test_positional.py::test_nearby_positions_are_similar_but_similarity_is_not_monotone_in_distance",
    "checks/test_positional.py::test_no_two_of_the_first_2048_positions_share_an_encoding",
    "checks/test_positional.py::test_pe_at_t_plus_k_is_a_rotation_of_pe_at_t_that_does_not_depend_on_t",
    "checks/test_positional.py::test_sinusoidal_table_matches_the_formula_computed_by_hand",
    "checks/test_positional.py::test_wavelengths_grow_geometrically_from_2pi_to_almost_10000_times_2pi",
}
