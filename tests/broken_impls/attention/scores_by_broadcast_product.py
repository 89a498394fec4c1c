"""The scores are computed by broadcasting q against k and summing, (q[:, None] * k[None]).sum(-1), not by a matrix product."""

import math

import torch

from solutions.masking import causal_mask, padding_mask  # noqa: F401  the other components, correct,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with attention
from solutions.positional import sinusoidal_positions  # noqa: F401


def attention_weights(q, k, mask=None):
    products = q[..., :, None, :] * k[..., None, :, :]  # [..., T, S, Dk]: right values, T·S·Dk memory
    scores = products.sum(-1) / math.sqrt(q.size(-1))
    if mask is None:
        return scores.softmax(dim=-1)
    scores = scores.masked_fill(~mask, float("-inf"))
    return torch.where(mask.any(-1, keepdim=True), scores.softmax(dim=-1), 0.0)


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v


MUST_FAIL = {
    "checks/test_efficiency.py::test_doubling_n_multiplies_flops_by_4_for_self_attention_and_by_2_for_rnn_and_convolution",
}
