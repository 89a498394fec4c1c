"""Masked scores are filled with -20, small enough that masked keys keep some weight."""

import math

from solutions.masking import causal_mask, padding_mask  # noqa: F401  the other components, correct,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with attention
from solutions.positional import sinusoidal_positions  # noqa: F401


def attention_weights(q, k, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, -20.0)  # e^-20 is "basically zero"
    return scores.softmax(dim=-1)


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v


MUST_FAIL = {
    "checks/test_attention.py::test_a_masked_key_gets_exactly_zero_weight_whatever_the_score_range_and_dtype",
    "checks/test_attention.py::test_a_query_with_every_key_masked_gets_zero_weights_and_a_zero_output",
    "checks/test_attention.py::test_masked_attention_matches_torch_scaled_dot_product_attention",
    "checks/test_cross_attention.py::test_cross_attention_matches_torch_transformer_decoder_layer",
    "checks/test_masking.py::test_a_padded_key_gets_exactly_zero_weight",
    "checks/test_masking.py::test_adding_a_finite_mask_or_a_bias_before_scaling_changes_the_weights",
    "checks/test_masking.py::test_adding_a_zero_or_minus_inf_mask_before_or_after_scaling_gives_the_same_weights",
    "checks/test_masking.py::test_adding_the_pad_constant_to_embeddings_instead_of_scores_does_not_hide_pad_keys",
    "checks/test_masking.py::test_causal_attention_weights_are_lower_triangular",
    "checks/test_masking.py::test_one_minus_the_pad_flag_times_minus_10000_hides_the_real_tokens_and_keeps_the_pads",
    "checks/test_masking.py::test_softmax_over_the_query_axis_does_not_give_each_query_a_distribution_over_keys",
    "checks/test_masking.py::test_under_a_causal_mask_every_position_attends_to_itself",
}
