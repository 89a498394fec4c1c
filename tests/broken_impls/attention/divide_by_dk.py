"""The scores are divided by Dk instead of √Dk."""

import torch

from solutions.masking import causal_mask, padding_mask  # noqa: F401  the other components, correct,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with attention
from solutions.positional import sinusoidal_positions  # noqa: F401


def attention_weights(q, k, mask=None):
    scores = q @ k.transpose(-2, -1) / q.size(-1)  # should be / sqrt(Dk)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
        return torch.where(mask.any(-1, keepdim=True), scores.softmax(dim=-1), 0.0)
    return scores.softmax(dim=-1)


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v


MUST_FAIL = set()
