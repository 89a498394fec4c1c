"""LLaMA block that ignores n_kv_heads and gives keys and values all n_heads heads (plain MHA)."""

from torch import nn

from solutions.gqa import GroupedQueryAttention
from solutions.masking import causal_mask
from solutions.rms_norm import RMSNorm
from solutions.swiglu import SwiGLU


class DecoderBlock(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, d_ff, eps=1e-6, rope_base=10000.0):
        super().__init__()
        self.norm1, self.norm2 = RMSNorm(d_model, eps), RMSNorm(d_model, eps)
        self.self_attn = GroupedQueryAttention(d_model, n_heads, n_heads, rope_base=rope_base)  # not n_kv_heads
        self.ffn = SwiGLU(d_model, d_ff)

    def forward(self, x):
        h = x + self.self_attn(self.norm1(x), causal_mask(x.size(1)))
        return h + self.ffn(self.norm2(h))


MUST_FAIL = {
    "checks/test_decoder_block.py::test_decoder_block_matches_a_llama_block_built_from_torch_primitives",
    "checks/test_decoder_block.py::test_decoder_block_has_2d_plus_2d2_plus_2d_hkv_dk_plus_3df_parameters_and_no_bias",
    "checks/test_accounting.py::test_a_llama_2_70b_block_with_gqa_and_swiglu_holds_12_75_d_squared_with_82_percent_in_the_ffn",
}
