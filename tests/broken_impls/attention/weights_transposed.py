"""The weights are computed as softmax over the keys of K Qᵀ and returned [S, T], not transposed back."""

import math

import torch

from solutions.masking import causal_mask, padding_mask  # noqa: F401  the other components, correct,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with attention
from solutions.positional import sinusoidal_positions  # noqa: F401


def attention_weights(q, k, mask=None):
    scores = k @ q.transpose(-2, -1) / math.sqrt(q.size(-1))  # [..., S, T]
    if mask is not None:
        scores = scores.masked_fill(~mask.transpose(-2, -1), float("-inf"))
        weights = torch.where(mask.transpose(-2, -1).any(-2, keepdim=True), scores.softmax(dim=-2), 0.0)
        return weights  # forgot .transpose(-2, -1)
    return scores.softmax(dim=-2)  # normalised over the keys, but laid out [S, T]


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask).transpose(-2, -1) @ v  # the output itself is right


MUST_FAIL = {
    "checks/test_attention.py::test_a_masked_key_gets_exactly_zero_weight_whatever_the_score_range_and_dtype",
    "checks/test_attention.py::test_a_query_with_every_key_masked_gets_zero_weights_and_a_zero_output",
    "checks/test_attention.py::test_output_has_one_row_per_query_and_the_width_of_the_values",
    "checks/test_attention.py::test_score_of_query_t_and_key_s_is_their_dot_product_divided_by_sqrt_dk",
    "checks/test_attention_concepts.py::test_changing_the_value_projection_changes_the_output_but_not_the_attention_weights",
    "checks/test_attention_concepts.py::test_different_attention_weights_give_the_same_output_when_value_rows_coincide",
    "checks/test_attention_concepts.py::test_with_a_shared_projection_a_longer_neighbour_outweighs_the_token_itself",
    "checks/test_attention_concepts.py::test_with_more_keys_than_value_dimensions_plus_one_many_weight_rows_give_the_same_output",
    "checks/test_attention_concepts.py::test_with_one_shared_projection_for_queries_and_keys_the_scores_are_symmetric",
    "checks/test_cross_attention.py::test_cross_attention_matches_torch_transformer_decoder_layer",
    "checks/test_cross_attention.py::test_weights_are_t_by_s_and_the_output_has_one_row_per_decoder_position",
    "checks/test_masking.py::test_adding_a_finite_mask_or_a_bias_before_scaling_changes_the_weights",
    "checks/test_masking.py::test_adding_a_zero_or_minus_inf_mask_before_or_after_scaling_gives_the_same_weights",
    "checks/test_masking.py::test_adding_the_pad_constant_to_embeddings_instead_of_scores_does_not_hide_pad_keys",
    "checks/test_masking.py::test_causal_attention_weights_are_lower_triangular",
    "checks/test_masking.py::test_one_minus_the_pad_flag_times_minus_10000_hides_the_real_tokens_and_keeps_the_pads",
    "checks/test_masking.py::test_shifting_every_score_of_an_unpadded_row_by_minus_10000_costs_float32_precision",
    "checks/test_masking.py::test_softmax_over_the_query_axis_does_not_give_each_query_a_distribution_over_keys",
    "checks/test_masking.py::test_under_a_causal_mask_every_position_attends_to_itself",
    "checks/test_multi_head.py::test_each_head_has_its_own_t_by_s_weights_so_the_number_of_scores_grows_h_fold",
    "checks/test_scaling.py::test_scaling_the_query_and_key_projections_by_c_multiplies_the_logits_by_c_squared_and_collapses_attention",
    "checks/test_scaling.py::test_softmax_of_huge_logits_does_not_overflow_so_overflow_is_not_why_we_scale",
    "checks/test_scaling.py::test_the_implementations_scores_have_unit_variance_whatever_dk",
    "checks/test_scaling.py::test_without_scaling_the_softmax_saturates_as_dk_grows",
}
