"""Encoder layer that uses one LayerNorm for both sublayers."""

from torch import nn

from solutions.cross_attention import CrossAttention  # noqa: F401  (other components, correct)
from solutions.feed_forward import FeedForward
from solutions.masking import causal_mask  # noqa: F401
from solutions.multi_head import MultiHeadAttention
from solutions.normalization import LayerNorm


class EncoderLayer(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, norm_first=False):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads)
        self.ffn = FeedForward(d_model, d_ff)
        self.norm1 = LayerNorm(d_model)
        self.norm2 = self.norm1  # the same module twice
        self.norm_first = norm_first

    def forward(self, x, mask=None):
        if self.norm_first:
            x = x + self.self_attn(self.norm1(x), self.norm1(x), self.norm1(x), mask)
            return x + self.ffn(self.norm2(x))
        x = self.norm1(x + self.self_attn(x, x, x, mask))
        return self.norm2(x + self.ffn(x))


MUST_FAIL = {
    "checks/test_architecture.py::test_a_decoder_layer_adds_a_cross_attention_and_a_third_layernorm_to_the_encoder_layers_parts",
    "checks/test_architecture.py::test_the_base_transformer_has_44138496_parameters_in_its_layers_and_63m_with_the_shared_embedding",
    "checks/test_architecture.py::test_the_big_models_parameter_count_does_not_depend_on_the_head_count_and_is_about_214m",
    "checks/test_encoder_layer.py::test_a_base_encoder_layer_has_3152384_parameters",
    "checks/test_encoder_layer.py::test_an_encoder_layer_has_4d2_plus_2df_plus_9d_plus_f_parameters_as_pytorchs_does",
    "checks/test_encoder_layer.py::test_an_encoder_layer_is_two_sublayers_and_two_layernorms_and_nothing_else",
}
