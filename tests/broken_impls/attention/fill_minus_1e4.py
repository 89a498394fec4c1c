"""Masked scores are filled with the finite constant -1e4 instead of -inf."""

import math

from solutions.masking import causal_mask, padding_mask  # noqa: F401  the other components, correct,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with attention
from solutions.positional import sinusoidal_positions  # noqa: F401


def attention_weights(q, k, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, -1e4)  # "large enough"
    return scores.softmax(dim=-1)


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v


MUST_FAIL = {
    "checks/test_attention.py::test_a_masked_key_gets_exactly_zero_weight_whatever_the_score_range_and_dtype",
    "checks/test_attention.py::test_a_query_with_every_key_masked_gets_zero_weights_and_a_zero_output",
}
