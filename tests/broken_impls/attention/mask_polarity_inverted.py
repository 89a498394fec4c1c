"""The boolean mask is read as True = blocked (nn.MultiheadAttention's convention), not True = may attend."""

import math

import torch


def attention_weights(q, k, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is None:
        return scores.softmax(dim=-1)
    scores = scores.masked_fill(mask, float("-inf"))  # should be ~mask
    return torch.where((~mask).any(-1, keepdim=True), scores.softmax(dim=-1), 0.0)


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v


MUST_FAIL = set()
