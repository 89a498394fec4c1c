"""A plausible learner mistake: attention without the 1/sqrt(Dk) scaling."""

import torch


def attention_weights(q, k, mask=None):
    scores = q @ k.transpose(-2, -1)  # forgot / sqrt(Dk)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.nan_to_num(scores.softmax(dim=-1))


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v
