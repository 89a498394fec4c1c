"""LLaMA block that forgets the causal mask: every position attends to the whole sequence."""

from torch import nn

from solutions.gqa import GroupedQueryAttention
from solutions.rms_norm import RMSNorm
from solutions.swiglu import SwiGLU


class DecoderBlock(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, d_ff, eps=1e-6, rope_base=10000.0):
        super().__init__()
        self.norm1, self.norm2 = RMSNorm(d_model, eps), RMSNorm(d_model, eps)
        self.self_attn = GroupedQueryAttention(d_model, n_heads, n_kv_heads, rope_base=rope_base)
        self.ffn = SwiGLU(d_model, d_ff)

    def forward(self, x):
        h = x + self.self_attn(self.norm1(x))  # no mask: position t sees t+1, t+2, ...
        return h + self.ffn(self.norm2(h))


MUST_FAIL = {
    "checks/test_decoder_block.py::test_decoder_block_matches_a_llama_block_built_from_torch_primitives",
    "checks/test_decoder_block.py::test_decoder_block_output_at_t_ignores_tokens_after_t",
    "checks/test_decoder_block.py::test_decoder_block_is_x_plus_attn_of_norm_x_then_h_plus_ffn_of_norm_h",
}
