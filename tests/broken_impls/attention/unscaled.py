"""The scores are not divided by √Dk: attention without its scaling.

The file defines the attention names only, so the checks of other components skip, naming
them; tests/test_impl_plugin.py relies on that."""

import torch


def attention_weights(q, k, mask=None):
    scores = q @ k.transpose(-2, -1)  # forgot / sqrt(Dk)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.nan_to_num(scores.softmax(dim=-1))


def scaled_dot_product_attention(q, k, v, mask=None):
    return attention_weights(q, k, mask) @ v


MUST_FAIL = {
    "checks/test_attention.py::test_attention_matches_torch_scaled_dot_product_attention",
    "checks/test_attention.py::test_masked_attention_matches_torch_scaled_dot_product_attention",
    "checks/test_attention.py::test_score_of_query_t_and_key_s_is_their_dot_product_divided_by_sqrt_dk",
    "checks/test_attention_concepts.py::test_different_attention_weights_give_the_same_output_when_value_rows_coincide",
    "checks/test_attention_concepts.py::test_the_key_with_the_largest_weight_can_contribute_nothing_to_the_output",
    "checks/test_attention_concepts.py::test_with_a_shared_projection_the_weight_on_the_diagonal_grows_with_dk",
    "checks/test_attention_concepts.py::test_with_more_keys_than_value_dimensions_plus_one_many_weight_rows_give_the_same_output",
    "checks/test_attention_concepts.py::test_with_one_shared_projection_for_queries_and_keys_the_scores_are_symmetric",
    "checks/test_masking.py::test_adding_a_zero_or_minus_inf_mask_before_or_after_scaling_gives_the_same_weights",
    "checks/test_scaling.py::test_qk_norm_bounds_the_logits_so_scaling_the_projections_changes_nothing",
    "checks/test_scaling.py::test_the_implementations_scores_have_unit_variance_whatever_dk",
    "checks/test_scaling.py::test_with_scaling_the_softmax_does_not_saturate_as_dk_grows",
    "checks/test_scaling.py::test_without_scaling_the_gradient_reaching_a_typical_query_collapses_too",
    "checks/test_scaling.py::test_without_scaling_the_softmax_gradient_vanishes_as_dk_grows",
}
