"""The contract of the `decoder_block` component: a LLaMA-style decoder block."""

from qbank.contract.model import component

COMPONENT = component(
    "decoder_block", "A modern (LLaMA-style) decoder block",
    "Pre-norm with RMSNorm, causal grouped-query self-attention with RoPE, a SwiGLU FFN, no biases: "
    "h = x + attn(norm1(x)), y = h + ffn(norm2(h)).",
    ("DecoderBlock", "class", '''
class DecoderBlock(nn.Module):
    """One block of a LLaMA-style decoder-only model, without dropout:

        h = x + self_attn(norm1(x), causal mask)      (position t attends to 0 .. t)
        y = h + ffn(norm2(h))

    Attributes: norm1, norm2 = RMSNorm(d_model, eps);
    self_attn = GroupedQueryAttention(d_model, n_heads, n_kv_heads, bias=False, rope_base=rope_base)
    (RoPE on queries and keys, halves layout); ffn = SwiGLU(d_model, d_ff). No biases anywhere.
    Only these four submodules hold parameters.
    """

    def __init__(self, d_model: int, n_heads: int, n_kv_heads: int, d_ff: int,
                 eps: float = 1e-6, rope_base: float = 10000.0):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """x: [B, T, D] -> [B, T, D]; causal: output t depends on x[:, :t+1] only."""
        raise NotImplementedError
'''),
)
