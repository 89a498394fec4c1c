"""The scores are divided by Dk instead of √Dk."""

import torch


def attention_weights(q, k, mask=None):
    scores = q @ k.transpose(-2, -1) / q.size(-1)  # should be / sqrt(Dk)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
        return torch.where(mask.any(-1, keepdim=True), scores.softmax(dim=-1), 0.0)
    return scores.softmax(dim=-1)


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v


MUST_FAIL = set()
