"""decode_step rotates the new queries and keys with apply_rope's default base, not attn.rope_base."""

import torch

from solutions.gqa import grouped_query_attention
from solutions.kv_cache import KVCache, RollingKVCache, causal_mask_lower_right, sliding_window_mask  # noqa: F401
from solutions.multi_head import merge_heads, split_heads
from solutions.rope import apply_rope

# other components the checks of this one run with (correct ones)
from solutions.gqa import GroupedQueryAttention  # noqa: F401


def decode_step(attn, x_new, cache):
    T = x_new.size(1)
    q = split_heads(attn.q_proj(x_new), attn.n_heads)
    k = split_heads(attn.k_proj(x_new), attn.n_kv_heads)
    v = split_heads(attn.v_proj(x_new), attn.n_kv_heads)
    if attn.rope_base is not None:
        positions = torch.arange(cache.seq_len, cache.seq_len + T)
        q, k = apply_rope(q, positions), apply_rope(k, positions)  # base 10000 whatever the layer uses
    k, v = cache.update(k, v)
    mask = causal_mask_lower_right(T, k.size(-2)).to(x_new.device)
    return attn.out_proj(merge_heads(grouped_query_attention(q, k, v, mask)))


MUST_FAIL = {
    "checks/test_kv_cache.py::test_decoding_one_position_at_a_time_with_the_cache_equals_the_full_causal_forward",
    "checks/test_kv_cache.py::test_prefilling_in_chunks_of_any_size_equals_the_full_causal_forward",
}
