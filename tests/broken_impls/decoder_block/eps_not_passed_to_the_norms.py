"""LLaMA block that takes eps but builds its RMSNorms with their own default."""

from torch import nn

from solutions.gqa import GroupedQueryAttention
from solutions.masking import causal_mask
from solutions.rms_norm import RMSNorm
from solutions.swiglu import SwiGLU


class DecoderBlock(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, d_ff, eps=1e-6, rope_base=10000.0):
        super().__init__()
        self.norm1, self.norm2 = RMSNorm(d_model), RMSNorm(d_model)  # eps forgotten
        self.self_attn = GroupedQueryAttention(d_model, n_heads, n_kv_heads, rope_base=rope_base)
        self.ffn = SwiGLU(d_model, d_ff)

    def forward(self, x):
        h = x + self.self_attn(self.norm1(x), causal_mask(x.size(1)).to(x.device))
        return h + self.ffn(self.norm2(h))


MUST_FAIL = {
    "checks/test_decoder_block.py::test_decoder_block_defaults_to_llamas_eps_1e_6_and_rope_base_10000_and_passes_other_values_through",
}
