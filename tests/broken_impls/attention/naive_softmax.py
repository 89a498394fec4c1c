"""The softmax is written as exp(s) / sum(exp(s)) without subtracting the row maximum."""

import math

import torch

from solutions.masking import causal_mask, padding_mask  # noqa: F401  the other components, correct,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with attention
from solutions.positional import sinusoidal_positions  # noqa: F401


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


MUST_FAIL = {
    "checks/test_attention.py::test_a_masked_key_gets_exactly_zero_weight_whatever_the_score_range_and_dtype",
    "checks/test_attention.py::test_a_query_with_every_key_masked_gets_zero_weights_and_a_zero_output",
    "checks/test_attention.py::test_attention_matches_torch_scaled_dot_product_attention",
    "checks/test_attention.py::test_each_row_of_weights_is_a_probability_distribution_over_the_keys",
    "checks/test_attention.py::test_masked_attention_matches_torch_scaled_dot_product_attention",
    "checks/test_attention.py::test_output_is_a_convex_combination_of_the_value_rows",
    "checks/test_attention.py::test_score_of_query_t_and_key_s_is_their_dot_product_divided_by_sqrt_dk",
    "checks/test_cross_attention.py::test_cross_attention_matches_torch_transformer_decoder_layer",
    "checks/test_masking.py::test_adding_the_pad_constant_to_embeddings_instead_of_scores_does_not_hide_pad_keys",
    "checks/test_scaling.py::test_softmax_of_huge_logits_does_not_overflow_so_overflow_is_not_why_we_scale",
}
