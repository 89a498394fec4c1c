"""LLaMA block whose attention rotates the values with RoPE too, not only queries and keys."""

import torch
from torch import nn

from solutions.gqa import GroupedQueryAttention, grouped_query_attention
from solutions.masking import causal_mask
from solutions.multi_head import merge_heads, split_heads
from solutions.rms_norm import RMSNorm
from solutions.rope import apply_rope
from solutions.swiglu import SwiGLU


class _RotatedValues(GroupedQueryAttention):
    def forward(self, x, mask=None):
        q = split_heads(self.q_proj(x), self.n_heads)
        k = split_heads(self.k_proj(x), self.n_kv_heads)
        v = split_heads(self.v_proj(x), self.n_kv_heads)
        positions = torch.arange(x.size(1))
        q, k, v = (apply_rope(t, positions, self.rope_base) for t in (q, k, v))  # v rotated as well
        return self.out_proj(merge_heads(grouped_query_attention(q, k, v, mask.unsqueeze(-3))))


class DecoderBlock(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, d_ff, eps=1e-6, rope_base=10000.0):
        super().__init__()
        self.norm1, self.norm2 = RMSNorm(d_model, eps), RMSNorm(d_model, eps)
        self.self_attn = _RotatedValues(d_model, n_heads, n_kv_heads, rope_base=rope_base)
        self.ffn = SwiGLU(d_model, d_ff)

    def forward(self, x):
        h = x + self.self_attn(self.norm1(x), causal_mask(x.size(1)))
        return h + self.ffn(self.norm2(h))


MUST_FAIL = {
    "checks/test_decoder_block.py::test_decoder_block_matches_a_llama_block_built_from_torch_primitives",
}
