"""LLaMA block that builds its causal mask on the CPU whatever device x is on."""

from torch import nn

from solutions.gqa import GroupedQueryAttention
from solutions.masking import causal_mask
from solutions.rms_norm import RMSNorm
from solutions.swiglu import SwiGLU


class DecoderBlock(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, d_ff, eps=1e-6, rope_base=10000.0):
        super().__init__()
        self.norm1, self.norm2 = RMSNorm(d_model, eps), RMSNorm(d_model, eps)
        self.self_attn = GroupedQueryAttention(d_model, n_heads, n_kv_heads, rope_base=rope_base)
        self.ffn = SwiGLU(d_model, d_ff)

    def forward(self, x):
        mask = causal_mask(x.size(1))  # no .to(x.device)
        h = x + self.self_attn(self.norm1(x), mask)
        return h + self.ffn(self.norm2(h))


MUST_FAIL = {
    "checks/test_decoder_block.py::test_decoder_block_built_on_the_meta_device_runs_there",
}
