"""The padding mask is True at the pads (PyTorch's key_padding_mask convention) instead of True at real tokens."""

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  correct, for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with masks
from solutions.positional import sinusoidal_positions  # noqa: F401
from solutions.masking import causal_mask  # noqa: F401  the component's other name, correct


def padding_mask(is_pad):
    return is_pad[:, None, :]  # should be ~is_pad


MUST_FAIL = {
    "checks/test_masking.py::test_a_nan_from_a_fully_masked_pad_row_would_poison_real_positions_in_the_next_layer",
    "checks/test_masking.py::test_a_padded_key_gets_exactly_zero_weight",
    "checks/test_masking.py::test_adding_the_pad_constant_to_embeddings_instead_of_scores_does_not_hide_pad_keys",
    "checks/test_masking.py::test_changing_padded_tokens_changes_no_output_at_real_positions",
    "checks/test_masking.py::test_combined_causal_and_padding_mask_equals_applying_both",
    "checks/test_masking.py::test_masked_multi_head_attention_matches_torch_multihead_attention_with_key_padding_mask",
    "checks/test_masking.py::test_one_minus_the_pad_flag_times_minus_10000_hides_the_real_tokens_and_keeps_the_pads",
    "checks/test_masking.py::test_padding_mask_is_true_at_real_keys_and_has_one_row_for_all_queries",
    "checks/test_masking.py::test_shifting_every_score_of_an_unpadded_row_by_minus_10000_costs_float32_precision",
    "checks/test_masking.py::test_softmax_over_the_query_axis_does_not_give_each_query_a_distribution_over_keys",
    "checks/test_masking.py::test_under_causal_and_padding_masks_every_real_query_keeps_at_least_its_own_key",
    "checks/test_masking.py::test_with_left_padding_position_ids_must_count_from_each_sequences_first_real_token",
    "checks/test_masking.py::test_with_left_padding_the_pad_queries_before_the_first_real_token_have_no_key_at_all",
}
