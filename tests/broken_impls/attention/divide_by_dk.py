"""The scores are divided by Dk instead of √Dk."""

import torch

from solutions.masking import causal_mask, padding_mask  # noqa: F401  the other components, correct,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with attention
from solutions.positional import sinusoidal_positions  # noqa: F401


def attention_weights(q, k, mask=None):
    scores = q @ k.transpose(-2, -1) / q.size(-1)  # should be / sqrt(Dk)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
        return torch.where(mask.any(-1, keepdim=True), scores.softmax(dim=-1), 0.0)
    return scores.softmax(dim=-1)


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v


MUST_FAIL = {
    "checks/test_attention.py::test_attention_matches_torch_scaled_dot_product_attention",
    "checks/test_attention.py::test_masked_attention_matches_torch_scaled_dot_product_attention",
    "checks/test_attention.py::test_score_of_query_t_and_key_s_is_their_dot_product_divided_by_sqrt_dk",
    "checks/test_attention_concepts.py::test_as_shared_projection_attention_nears_the_identity_the_output_nears_the_pointwise_map_x_w_v",
    "checks/test_attention_concepts.py::test_changing_the_value_projection_changes_the_output_but_not_the_attention_weights",
    "checks/test_attention_concepts.py::test_different_attention_weights_give_the_same_output_when_value_rows_coincide",
    "checks/test_attention_concepts.py::test_separate_projections_can_make_two_tokens_each_attend_to_the_other",
    "checks/test_attention_concepts.py::test_the_key_with_the_largest_weight_can_contribute_nothing_to_the_output",
    "checks/test_attention_concepts.py::test_with_a_shared_projection_a_longer_neighbour_outweighs_the_token_itself",
    "checks/test_attention_concepts.py::test_with_a_shared_projection_the_weight_on_the_diagonal_grows_with_dk",
    "checks/test_attention_concepts.py::test_with_more_keys_than_value_dimensions_plus_one_many_weight_rows_give_the_same_output",
    "checks/test_attention_concepts.py::test_with_one_shared_projection_for_queries_and_keys_the_scores_are_symmetric",
    "checks/test_cross_attention.py::test_cross_attention_matches_torch_transformer_decoder_layer",
    "checks/test_cross_attention.py::test_weights_are_t_by_s_and_the_output_has_one_row_per_decoder_position",
    "checks/test_masking.py::test_adding_a_zero_or_minus_inf_mask_before_or_after_scaling_gives_the_same_weights",
    "checks/test_masking.py::test_one_minus_the_pad_flag_times_minus_10000_hides_the_real_tokens_and_keeps_the_pads",
    "checks/test_masking.py::test_shifting_every_score_of_an_unpadded_row_by_minus_10000_costs_float32_precision",
    "checks/test_multi_head.py::test_each_head_has_its_own_t_by_s_weights_so_the_number_of_scores_grows_h_fold",
    "checks/test_scaling.py::test_scaling_the_query_and_key_projections_by_c_multiplies_the_logits_by_c_squared_and_collapses_attention",
    "checks/test_scaling.py::test_the_implementations_scores_have_unit_variance_whatever_dk",
    "checks/test_scaling.py::test_without_scaling_the_gradient_reaching_a_typical_query_collapses_too",
    "checks/test_scaling.py::test_without_scaling_the_softmax_gradient_vanishes_as_dk_grows",
    "checks/test_scaling.py::test_without_scaling_the_softmax_saturates_as_dk_grows",
}
