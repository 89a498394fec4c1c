"""Cross-attention ignores the mask it is given, so padded encoder positions are read like real ones."""

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  with cross-attention
from solutions.positional import sinusoidal_positions  # noqa: F401


class CrossAttention(MultiHeadAttention):
    def forward(self, x, memory, mask=None):
        return super().forward(x, memory, memory)  # mask dropped


MUST_FAIL = {
    "checks/test_cross_attention.py::test_cross_attention_matches_torch_transformer_decoder_layer",
    "checks/test_cross_attention.py::test_padded_encoder_positions_do_not_affect_the_output",
}
