"""The weights are computed as softmax over the keys of K Qᵀ and returned [S, T], not transposed back."""

import math

import torch

from solutions.masking import causal_mask, padding_mask  # noqa: F401  the other components, correct,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with attention
from solutions.positional import sinusoidal_positions  # noqa: F401


def attention_weights(q, k, mask=None):
    scores = k @ q.transpose(-2, -1) / math.sqrt(q.size(-1))  # [..., S, T]
    if mask is not None:
        scores = scores.masked_fill(~mask.transpose(-2, -1), float("-inf"))
        weights = torch.where(mask.transpose(-2, -1).any(-2, keepdim=True), scores.softmax(dim=-2), 0.0)
        return weights  # forgot .transpose(-2, -1)
    return scores.softmax(dim=-2)  # normalised over the keys, but laid out [S, T]


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask).transpose(-2, -1) @ v  # the output itself is right


MUST_FAIL = set()
