"""The chunk's causal mask is aligned top-left, like is_causal=True: query i of a chunk after
S - T cached positions sees keys 0..i instead of 0..S - T + i."""

import torch

from solutions.gqa import grouped_query_attention
from solutions.kv_cache import KVCache, RollingKVCache, sliding_window_mask
from solutions.multi_head import merge_heads, split_heads
from solutions.rope import apply_rope

# other components the checks of this one run with (correct ones)
from solutions.gqa import GroupedQueryAttention  # noqa: F401


def causal_mask_lower_right(T, S):
    return torch.ones(T, S, dtype=torch.bool).tril()


def decode_step(attn, x_new, cache):
    T = x_new.size(1)
    q = split_heads(attn.q_proj(x_new), attn.n_heads)
    k = split_heads(attn.k_proj(x_new), attn.n_kv_heads)
    v = split_heads(attn.v_proj(x_new), attn.n_kv_heads)
    if attn.rope_base is not None:
        positions = torch.arange(cache.seq_len, cache.seq_len + T, device=x_new.device)
        q, k = apply_rope(q, positions, attn.rope_base), apply_rope(k, positions, attn.rope_base)
    k, v = cache.update(k, v)
    mask = causal_mask_lower_right(T, k.size(-2)).to(x_new.device)
    return attn.out_proj(merge_heads(grouped_query_attention(q, k, v, mask)))


MUST_FAIL = {
    "checks/test_kv_cache.py::test_the_lower_right_causal_mask_lets_query_i_of_a_chunk_see_every_key_up_to_its_own_position",
    "checks/test_kv_cache.py::test_prefilling_in_chunks_of_any_size_equals_the_full_causal_forward",
}
