"""Attention without the 1/sqrt(Dk) scaling."""

import torch

from solutions.masking import causal_mask, padding_mask  # noqa: F401  the other components, correct,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with attention
from solutions.positional import sinusoidal_positions  # noqa: F401


def attention_weights(q, k, mask=None):
    scores = q @ k.transpose(-2, -1)  # forgot / sqrt(Dk)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.nan_to_num(scores.softmax(dim=-1))


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v


MUST_FAIL = {
    "checks/test_attention.py::test_attention_matches_torch_scaled_dot_product_attention",
    "checks/test_attention.py::test_score_of_query_t_and_key_s_is_their_dot_product_divided_by_sqrt_dk",
    "checks/test_scaling.py::test_with_scaling_the_softmax_does_not_saturate_as_dk_grows",
}
