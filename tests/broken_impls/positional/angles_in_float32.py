"""The angles t·w_i are computed in the requested dtype (float32 by default), not in float64."""

import torch

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  with positions
from solutions.cross_attention import CrossAttention  # noqa: F401


def sinusoidal_positions(T, D, dtype=torch.float32):
    t = torch.arange(T, dtype=dtype)[:, None]
    w = 10000.0 ** (-torch.arange(0, D, 2, dtype=dtype) / D)
    pe = torch.empty(T, D, dtype=dtype)
    pe[:, 0::2] = (t * w).sin()  # t * w rounded to float32: off by ~1e-3 rad at t ~ 1e5
    pe[:, 1::2] = (t * w).cos()
    return pe


MUST_FAIL = {
    "checks/test_positional.py::test_all_sine_variant_has_no_linear_map_from_position_t_to_t_plus_k",
    "checks/test_positional.py::test_encoding_is_defined_and_bounded_at_position_one_million",
    "checks/test_positional.py::test_far_positions_are_accurate_to_the_requested_dtype",
}
