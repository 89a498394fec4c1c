"""Cross-attention takes its keys and values from the decoder states x instead of the encoder output: self-attention by mistake."""

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  with cross-attention
from solutions.positional import sinusoidal_positions  # noqa: F401


class CrossAttention(MultiHeadAttention):
    def forward(self, x, memory, mask=None):
        return super().forward(x, x, x)  # should be (x, memory, memory); the source mask no longer fits


MUST_FAIL = {
    "checks/test_cross_attention.py::test_cross_attention_is_multi_head_attention_and_with_memory_equal_to_x_it_is_self_attention",
    "checks/test_cross_attention.py::test_cross_attention_matches_torch_transformer_decoder_layer",
    "checks/test_cross_attention.py::test_decoder_states_enter_only_through_the_queries",
    "checks/test_cross_attention.py::test_each_head_returns_a_weighted_average_of_the_encoder_value_vectors",
    "checks/test_cross_attention.py::test_encoder_output_enters_only_through_the_keys_and_the_values",
    "checks/test_cross_attention.py::test_every_decoder_position_can_attend_to_every_encoder_position",
    "checks/test_cross_attention.py::test_keys_and_values_of_the_memory_computed_once_serve_every_decoding_step",
    "checks/test_cross_attention.py::test_weights_are_t_by_s_and_the_output_has_one_row_per_decoder_position",
}
