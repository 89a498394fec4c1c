"""Masked scores are filled with -20, small enough that masked keys keep some weight."""

import math


def attention_weights(q, k, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, -20.0)  # e^-20 is "basically zero"
    return scores.softmax(dim=-1)


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v


MUST_FAIL = set()
