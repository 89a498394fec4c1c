"""The causal mask is built with triu: query t may attend to keys s >= t, the future instead of the past."""

import torch

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  correct, for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with masks
from solutions.positional import sinusoidal_positions  # noqa: F401
from solutions.masking import padding_mask  # noqa: F401  the component's other name, correct


def causal_mask(T):
    return torch.ones(T, T, dtype=torch.bool).triu()


MUST_FAIL = {
    "checks/test_efficiency.py::test_causal_linear_attention_run_as_an_rnn_equals_its_masked_parallel_form",
    "checks/test_masking.py::test_a_nan_from_a_fully_masked_pad_row_would_poison_real_positions_in_the_next_layer",
    "checks/test_masking.py::test_adding_a_finite_mask_or_a_bias_before_scaling_changes_the_weights",
    "checks/test_masking.py::test_causal_attention_weights_are_lower_triangular",
    "checks/test_masking.py::test_causal_mask_allows_exactly_what_torch_generate_square_subsequent_mask_allows",
    "checks/test_masking.py::test_causal_output_at_t_depends_on_every_token_up_to_t_and_on_none_after",
    "checks/test_masking.py::test_causal_output_at_t_ignores_tokens_after_t",
    "checks/test_masking.py::test_changing_an_earlier_token_changes_later_outputs_even_under_the_causal_mask",
    "checks/test_masking.py::test_combined_causal_and_padding_mask_equals_applying_both",
    "checks/test_masking.py::test_parallel_causal_forward_equals_step_by_step_decoding_on_the_same_prefix",
    "checks/test_masking.py::test_under_a_causal_mask_every_position_attends_to_itself",
    "checks/test_masking.py::test_with_left_padding_the_pad_queries_before_the_first_real_token_have_no_key_at_all",
}
