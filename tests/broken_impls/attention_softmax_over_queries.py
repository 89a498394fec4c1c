"""A plausible learner mistake: the softmax normalises over the queries (dim=-2), not the keys."""

import math


def attention_weights(q, k, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(dim=-2)


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v
