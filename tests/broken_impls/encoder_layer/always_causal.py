"""Encoder layer that always applies a causal mask, as a decoder's self-attention does."""

from torch import nn

from solutions.cross_attention import CrossAttention  # noqa: F401  (other components, correct)
from solutions.feed_forward import FeedForward
from solutions.masking import causal_mask
from solutions.multi_head import MultiHeadAttention
from solutions.normalization import LayerNorm


class EncoderLayer(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, norm_first=False):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads)
        self.ffn = FeedForward(d_model, d_ff)
        self.norm1 = LayerNorm(d_model)
        self.norm2 = LayerNorm(d_model)
        self.norm_first = norm_first

    def forward(self, x, mask=None):
        T = x.size(-2)
        mask = causal_mask(T) if mask is None else mask & causal_mask(T)  # the decoder's mask, always
        if self.norm_first:
            x = x + self.self_attn(self.norm1(x), self.norm1(x), self.norm1(x), mask)
            return x + self.ffn(self.norm2(x))
        x = self.norm1(x + self.self_attn(x, x, x, mask))
        return self.norm2(x + self.ffn(x))


MUST_FAIL = {
    "checks/test_architecture.py::test_an_rnns_gradient_to_a_distant_input_shrinks_or_grows_geometrically_while_one_attention_layer_reaches_every_input",
    "checks/test_architecture.py::test_appending_a_token_changes_every_earlier_output_of_an_encoder_layer_but_none_under_a_causal_mask",
    "checks/test_architecture.py::test_the_encoder_layer_reads_the_whole_sequence_but_under_a_causal_mask_only_the_past",
    "checks/test_encoder_layer.py::test_encoder_layer_matches_torch_transformer_encoder_layer_with_and_without_a_mask",
    "checks/test_encoder_layer.py::test_post_norm_is_layernorm_of_x_plus_sublayer_and_pre_norm_is_x_plus_sublayer_of_layernorm",
    "checks/test_encoder_layer.py::test_pre_norm_layer_output_minus_its_two_sublayer_outputs_is_the_input",
    "checks/test_encoder_layer.py::test_without_a_mask_every_output_position_depends_on_every_input_position",
    "checks/test_positional.py::test_a_whole_encoder_layer_without_positions_is_permutation_equivariant",
}
