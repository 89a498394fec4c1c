"""The padding mask is returned as [B, S], without the size-1 query axis that broadcasts over the T queries."""

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  correct, for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with masks
from solutions.positional import sinusoidal_positions  # noqa: F401
from solutions.masking import causal_mask  # noqa: F401  the component's other name, correct


def padding_mask(is_pad):
    return ~is_pad  # [B, S]: against [B, T, S] scores it lines B up with T


MUST_FAIL = {
    "checks/test_masking.py::test_combined_causal_and_padding_mask_equals_applying_both",
    "checks/test_masking.py::test_padding_mask_is_true_at_real_keys_and_has_one_row_for_all_queries",
    "checks/test_masking.py::test_under_causal_and_padding_masks_every_real_query_keeps_at_least_its_own_key",
    "checks/test_masking.py::test_with_left_padding_the_pad_queries_before_the_first_real_token_have_no_key_at_all",
}
