"""Encoder layer whose norm_first defaults to True (pre-norm), unlike the original and PyTorch."""

from torch import nn

from solutions.cross_attention import CrossAttention  # noqa: F401  (other components, correct)
from solutions.feed_forward import FeedForward
from solutions.masking import causal_mask  # noqa: F401
from solutions.multi_head import MultiHeadAttention
from solutions.normalization import LayerNorm


class EncoderLayer(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, norm_first=True):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads)
        self.ffn = FeedForward(d_model, d_ff)
        self.norm1 = LayerNorm(d_model)
        self.norm2 = LayerNorm(d_model)
        self.norm_first = norm_first

    def forward(self, x, mask=None):
        if self.norm_first:
            x = x + self.self_attn(self.norm1(x), self.norm1(x), self.norm1(x), mask)
            return x + self.ffn(self.norm2(x))
        x = self.norm1(x + self.self_attn(x, x, x, mask))
        return self.norm2(x + self.ffn(x))


MUST_FAIL = {
    "checks/test_encoder_layer.py::test_the_default_placement_is_post_norm_as_in_the_original_transformer_and_in_pytorch",
}
