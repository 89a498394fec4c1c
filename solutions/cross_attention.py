"""Cross-attention (encoder-decoder attention): the decoder reads the encoder's output.

    CrossAttention(x, memory) = MultiHead(Q = x, K = memory, V = memory)
    head_h = softmax((x W_Q^h)(memory W_K^h)ᵀ / √Dk) (memory W_V^h)

It is ordinary multi-head attention with two different inputs: the decoder states x
supply the T queries, the encoder output `memory` supplies the S keys and the S values.
So the weights of each head are [T, S] (T != S in general) and the output has one row
per decoder position, [B, T, D]. Output row t depends on x only through x_t, and on the
memory only through its keys and values, which do not change while the decoder
generates: they can be computed once per source sequence and cached.

Shapes: B batch, T decoder positions, S encoder positions, D = d_model, H heads, Dk = D / H.
Mask: bool, broadcastable to [B, T, S], True = may attend. Cross-attention needs no causal
mask (the whole source is known); the usual mask hides the source's padding, [B, 1, S].
"""

from torch import Tensor

from solutions.multi_head import MultiHeadAttention


# --8<-- [start:CrossAttention]
class CrossAttention(MultiHeadAttention):
    """Multi-head attention with queries from the decoder and keys/values from the encoder."""

    def forward(self, x: Tensor, memory: Tensor, mask: Tensor | None = None) -> Tensor:
        # x: [B, T, D] -> queries; memory: [B, S, D] -> keys AND values (one source for both)
        return super().forward(x, memory, memory, mask)  # weights [B, H, T, S] -> [B, T, D]
# --8<-- [end:CrossAttention]
