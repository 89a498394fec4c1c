"""Even dimensions get the cosine and odd ones the sine."""

import torch

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  with positions
from solutions.cross_attention import CrossAttention  # noqa: F401


def sinusoidal_positions(T, D, dtype=torch.float32):
    t = torch.arange(T, dtype=torch.float64)[:, None]
    w = 10000.0 ** (-torch.arange(0, D, 2, dtype=torch.float64) / D)
    pe = torch.empty(T, D, dtype=torch.float64)
    pe[:, 0::2] = (t * w).cos()  # should be sin
    pe[:, 1::2] = (t * w).sin()
    return pe.to(dtype)


MUST_FAIL = {
    "checks/test_positional.py::test_encoding_is_defined_and_bounded_at_position_one_million",
    "checks/test_positional.py::test_far_positions_are_accurate_to_the_requested_dtype",
    "checks/test_positional.py::test_pe_at_t_plus_k_is_a_rotation_of_pe_at_t_that_does_not_depend_on_t",
    "checks/test_positional.py::test_sinusoidal_table_matches_the_formula_computed_by_hand",
    "checks/test_positional.py::test_wavelengths_grow_geometrically_from_2pi_to_almost_10000_times_2pi",
}
