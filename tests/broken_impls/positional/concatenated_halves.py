"""The sines fill the first D/2 dimensions and the cosines the last D/2, instead of interleaving them."""

import torch

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  with positions
from solutions.cross_attention import CrossAttention  # noqa: F401


def sinusoidal_positions(T, D, dtype=torch.float32):
    t = torch.arange(T, dtype=torch.float64)[:, None]
    w = 10000.0 ** (-torch.arange(0, D, 2, dtype=torch.float64) / D)
    return torch.cat([(t * w).sin(), (t * w).cos()], dim=-1).to(dtype)  # [sin ... sin, cos ... cos]


MUST_FAIL = {
    "checks/test_positional.py::test_dims_0_and_1_change_fastest_and_the_last_pair_slowest",
    "checks/test_positional.py::test_encoding_is_defined_and_bounded_at_position_one_million",
    "checks/test_positional.py::test_far_positions_are_accurate_to_the_requested_dtype",
    "checks/test_positional.py::test_pe_at_t_plus_k_is_a_rotation_of_pe_at_t_that_does_not_depend_on_t",
    "checks/test_positional.py::test_sinusoidal_table_matches_the_formula_computed_by_hand",
    "checks/test_positional.py::test_wavelengths_grow_geometrically_from_2pi_to_almost_10000_times_2pi",
}
