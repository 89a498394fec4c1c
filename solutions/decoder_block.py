"""A LLaMA-style decoder block (Touvron et al. 2023): the 2017 layer with five changes.

    h = x + Attn(RMSNorm1(x))        Attn: causal, grouped-query, RoPE on q and k
    y = h + SwiGLU(RMSNorm2(h))

1. Pre-norm: the norm sits on the branch, so the residual stream x -> y is a chain of
   additions (post-norm would normalise the sum, Norm(x + Attn(x))).
2. RMSNorm instead of LayerNorm: rescale only, no centring, no bias.
3. SwiGLU instead of the ReLU FFN, with the hidden width cut to about 8/3 D.
4. RoPE instead of added sinusoidal positions: queries and keys are rotated inside
   attention, the values and the residual stream carry no position.
5. Grouped-query attention (LLaMA-2 34B/70B, Mistral): fewer key/value heads, a smaller
   KV cache. And no biases in any linear layer.

Parameters: 2D (norms) + 2D² (q and o) + 2·D·(Hkv·D/H) (k and v) + 3·D·F (SwiGLU).
Shapes: B batch, T positions, D = d_model, H query heads, Hkv key/value heads, F = d_ff.
"""

from torch import Tensor, nn

from solutions.gqa import GroupedQueryAttention
from solutions.masking import causal_mask
from solutions.rms_norm import RMSNorm
from solutions.swiglu import SwiGLU


# --8<-- [start:DecoderBlock]
class DecoderBlock(nn.Module):
    def __init__(self, d_model: int, n_heads: int, n_kv_heads: int, d_ff: int,
                 eps: float = 1e-6, rope_base: float = 10000.0):
        super().__init__()
        self.norm1 = RMSNorm(d_model, eps)  # before attention
        self.self_attn = GroupedQueryAttention(d_model, n_heads, n_kv_heads, rope_base=rope_base)  # bias=False
        self.norm2 = RMSNorm(d_model, eps)  # before the FFN
        self.ffn = SwiGLU(d_model, d_ff)

    def forward(self, x: Tensor) -> Tensor:
        mask = causal_mask(x.size(1)).to(x.device)  # [T, T], True = may attend: s <= t
        h = x + self.self_attn(self.norm1(x), mask)  # the norm feeds the branch, never the stream
        return h + self.ffn(self.norm2(h))  # [B, T, D]
# --8<-- [end:DecoderBlock]
