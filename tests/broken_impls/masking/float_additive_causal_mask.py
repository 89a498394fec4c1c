"""The causal mask is returned as PyTorch's additive float mask (0 allowed, -inf blocked), not as a bool mask."""

from torch import nn

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  correct, for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with masks
from solutions.positional import sinusoidal_positions  # noqa: F401
from solutions.masking import padding_mask  # noqa: F401  the component's other name, correct


def causal_mask(T):
    return nn.Transformer.generate_square_subsequent_mask(T)  # float: 0 on and below the diagonal, -inf above


MUST_FAIL = {
    "checks/test_masking.py::test_a_nan_from_a_fully_masked_pad_row_would_poison_real_positions_in_the_next_layer",
    "checks/test_masking.py::test_causal_mask_allows_exactly_what_torch_generate_square_subsequent_mask_allows",
    "checks/test_masking.py::test_combined_causal_and_padding_mask_equals_applying_both",
    "checks/test_masking.py::test_under_causal_and_padding_masks_every_real_query_keeps_at_least_its_own_key",
    "checks/test_masking.py::test_with_left_padding_position_ids_must_count_from_each_sequences_first_real_token",
    "checks/test_masking.py::test_with_left_padding_the_pad_queries_before_the_first_real_token_have_no_key_at_all",
}
