"""Masked scores are filled with -1e9 instead of -inf (empty rows are zeroed as the contract asks)."""

import math

import torch

from solutions.masking import causal_mask, padding_mask  # noqa: F401  the other components, correct,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with attention
from solutions.positional import sinusoidal_positions  # noqa: F401


def attention_weights(q, k, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is None:
        return scores.softmax(dim=-1)
    scores = scores.masked_fill(~mask, -1e9)  # raises in float16; loses to scores beyond 1e9
    return torch.where(mask.any(-1, keepdim=True), scores.softmax(dim=-1), 0.0)


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v


MUST_FAIL = {
    "checks/test_attention.py::test_a_masked_key_gets_exactly_zero_weight_whatever_the_score_range_and_dtype",
    "checks/test_attention.py::test_a_query_with_every_key_masked_gets_zero_weights_and_a_zero_output",
}
