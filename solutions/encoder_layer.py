"""One encoder layer: self-attention, then the FFN, each inside a residual connection with a LayerNorm.

    post-norm (the original Transformer, norm_first=False):
        h = LN1(x + SelfAttn(x)),      y = LN2(h + FFN(h))
    pre-norm (GPT-2 and most later models, norm_first=True):
        h = x + SelfAttn(LN1(x)),      y = h + FFN(LN2(h))

Two sublayers and two LayerNorms, nothing else. The residual connection adds a sublayer's
input to its output, so both sublayers must map D features back to D. In post-norm the
LayerNorm sits on the main path and every layer's output is normalised; in pre-norm it
only feeds the sublayer, and the residual stream x -> y runs from input to output with
nothing in between but additions: with both sublayers' last projections at zero the layer
is exactly the identity. Only self-attention mixes positions; the mask enters there alone.
No dropout here (the original applies it to each sublayer's output before the addition).

Shapes: B batch, T positions, D = d_model, H heads, F = d_ff; x and y are [B, T, D].
Mask: bool, broadcastable to [B, T, T], True = may attend (e.g. a padding mask [B, 1, T]).
"""

from torch import Tensor, nn

from solutions.feed_forward import FeedForward
from solutions.multi_head import MultiHeadAttention
from solutions.normalization import LayerNorm


# --8<-- [start:EncoderLayer]
class EncoderLayer(nn.Module):
    def __init__(self, d_model: int, n_heads: int, d_ff: int, norm_first: bool = False):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads)  # sublayer 1: mixes positions
        self.ffn = FeedForward(d_model, d_ff)  # sublayer 2: each position on its own
        self.norm1 = LayerNorm(d_model)  # belongs to sublayer 1
        self.norm2 = LayerNorm(d_model)  # belongs to sublayer 2
        self.norm_first = norm_first

    def _attend(self, x: Tensor, mask: Tensor | None) -> Tensor:
        return self.self_attn(x, x, x, mask)  # queries, keys and values all from x: [B, T, D]

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        if self.norm_first:  # pre-norm: normalise the sublayer's input, add its output to x
            x = x + self._attend(self.norm1(x), mask)
            return x + self.ffn(self.norm2(x))
        # post-norm: add first, then normalise the sum
        x = self.norm1(x + self._attend(x, mask))
        return self.norm2(x + self.ffn(x))
# --8<-- [end:EncoderLayer]
