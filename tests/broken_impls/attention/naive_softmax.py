"""The softmax is written as exp(s) / sum(exp(s)) without subtracting the row maximum."""

import math

import torch


def attention_weights(q, k, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    e = scores.exp()  # overflows to inf past ~709 in float64 (~88 in float32)
    weights = e / e.sum(dim=-1, keepdim=True)
    if mask is not None:
        weights = torch.where(mask.any(-1, keepdim=True), weights, 0.0)
    return weights


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v


MUST_FAIL = set()
