"""The boolean mask is read as True = blocked (nn.MultiheadAttention's convention), not True = may attend."""

import math

import torch

from solutions.masking import causal_mask, padding_mask  # noqa: F401  the other components, correct,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with attention
from solutions.positional import sinusoidal_positions  # noqa: F401


def attention_weights(q, k, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is None:
        return scores.softmax(dim=-1)
    scores = scores.masked_fill(mask, float("-inf"))  # should be ~mask
    return torch.where((~mask).any(-1, keepdim=True), scores.softmax(dim=-1), 0.0)


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v


MUST_FAIL = {
    "checks/test_attention.py::test_a_masked_key_gets_exactly_zero_weight_whatever_the_score_range_and_dtype",
    "checks/test_attention.py::test_a_query_with_every_key_masked_gets_zero_weights_and_a_zero_output",
    "checks/test_attention.py::test_masked_attention_matches_torch_scaled_dot_product_attention",
    "checks/test_cross_attention.py::test_cross_attention_matches_torch_transformer_decoder_layer",
    "checks/test_masking.py::test_a_nan_from_a_fully_masked_pad_row_would_poison_real_positions_in_the_next_layer",
    "checks/test_masking.py::test_a_padded_key_gets_exactly_zero_weight",
    "checks/test_masking.py::test_adding_a_finite_mask_or_a_bias_before_scaling_changes_the_weights",
    "checks/test_masking.py::test_adding_a_zero_or_minus_inf_mask_before_or_after_scaling_gives_the_same_weights",
    "checks/test_masking.py::test_adding_the_pad_constant_to_embeddings_instead_of_scores_does_not_hide_pad_keys",
    "checks/test_masking.py::test_causal_attention_weights_are_lower_triangular",
    "checks/test_masking.py::test_causal_output_at_t_ignores_tokens_after_t",
    "checks/test_masking.py::test_changing_padded_tokens_changes_no_output_at_real_positions",
    "checks/test_masking.py::test_one_minus_the_pad_flag_times_minus_10000_hides_the_real_tokens_and_keeps_the_pads",
    "checks/test_masking.py::test_shifting_every_score_of_an_unpadded_row_by_minus_10000_costs_float32_precision",
    "checks/test_masking.py::test_softmax_over_the_query_axis_does_not_give_each_query_a_distribution_over_keys",
    "checks/test_masking.py::test_under_a_causal_mask_every_position_attends_to_itself",
    "checks/test_positional.py::test_with_a_causal_mask_uniform_attention_reads_position_as_one_over_t_plus_1",
}
