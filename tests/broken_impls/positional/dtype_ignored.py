"""The dtype argument is ignored: the table always comes back in float32."""

import torch

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  with positions
from solutions.cross_attention import CrossAttention  # noqa: F401
from solutions.positional import sinusoidal_positions as _fixed_table


def sinusoidal_positions(T, D, dtype=torch.float32):
    return _fixed_table(T, D)  # dtype never used


MUST_FAIL = {
    "checks/test_positional.py::test_added_sinusoidal_positions_give_projected_scores_that_depend_on_absolute_position",
    "checks/test_positional.py::test_all_sine_variant_encodes_position_zero_as_the_zero_vector",
    "checks/test_positional.py::test_dot_product_of_two_encodings_depends_only_on_their_distance",
    "checks/test_positional.py::test_every_value_is_in_minus_one_to_one_and_every_row_has_norm_sqrt_d_over_2",
    "checks/test_positional.py::test_far_positions_are_accurate_to_the_requested_dtype",
    "checks/test_positional.py::test_sinusoidal_table_is_t_by_d_in_the_requested_dtype",
    "checks/test_positional.py::test_sinusoidal_table_matches_the_formula_computed_by_hand",
    "checks/test_positional.py::test_wavelengths_grow_geometrically_from_2pi_to_almost_10000_times_2pi",
}
