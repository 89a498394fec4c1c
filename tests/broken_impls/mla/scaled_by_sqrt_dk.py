"""Scores divided by √Dk, forgetting that decoupled RoPE makes each query Dk + d_rope wide."""
import math

import torch

from solutions.kv_cache import causal_mask_lower_right
from solutions.mla import LatentKVCache
from solutions.mla import MultiHeadLatentAttention as _Reference
from solutions.multi_head import merge_heads, split_heads


class MultiHeadLatentAttention(_Reference):
    def forward(self, x, mask=None):
        c = self.kv_down(x)
        q_r, k_r = self.rope_parts(x, torch.arange(x.size(1)))
        q_c = split_heads(self.q_proj(x), self.n_heads)
        q = torch.cat([q_c, q_r], dim=-1)
        k = torch.cat([split_heads(self.k_up(c), self.n_heads), k_r[:, None].expand(-1, self.n_heads, -1, -1)], dim=-1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(q_c.size(-1))  # the rope features forgotten
        if mask is not None:
            scores = scores.masked_fill(~mask.unsqueeze(-3), float("-inf"))
        return self.out_proj(merge_heads(torch.nan_to_num(scores.softmax(-1)) @ split_heads(self.v_up(c), self.n_heads)))


def mla_decode_step(attn, x_new, cache):
    T, H, C = x_new.size(1), attn.n_heads, attn.d_latent
    q_r, k_r = attn.rope_parts(x_new, torch.arange(cache.seq_len, cache.seq_len + T))
    c, k_r = cache.update(attn.kv_down(x_new), k_r)
    q = split_heads(attn.q_proj(x_new), H)
    scores = (q @ attn.k_up.weight.view(H, -1, C)) @ c[:, None].transpose(-2, -1) + q_r @ k_r[:, None].transpose(-2, -1)
    scores = (scores / math.sqrt(q.size(-1))).masked_fill(~causal_mask_lower_right(T, c.size(1)), float("-inf"))
    return attn.out_proj(merge_heads(scores.softmax(-1) @ c[:, None] @ attn.v_up.weight.view(H, -1, C).transpose(-2, -1)))


MUST_FAIL = {
    "checks/test_mla.py::test_mla_equals_attention_over_every_heads_up_projected_keys_and_values",
    "checks/test_mla.py::test_absorbed_decoding_from_the_latent_cache_equals_the_explicit_causal_forward",
}
