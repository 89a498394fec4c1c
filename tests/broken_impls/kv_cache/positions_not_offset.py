"""Each decode step rotates its queries and keys as if they were positions 0, 1, ... of a new
sequence, not positions seq_len, seq_len + 1, ...: RoPE sees every new token at position 0."""

import torch

from solutions.gqa import grouped_query_attention
from solutions.kv_cache import KVCache, RollingKVCache, causal_mask_lower_right, sliding_window_mask
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
        positions = torch.arange(T, device=x_new.device)  # forgot the offset cache.seq_len
        q, k = apply_rope(q, positions, attn.rope_base), apply_rope(k, positions, attn.rope_base)
    k, v = cache.update(k, v)
    mask = causal_mask_lower_right(T, k.size(-2)).to(x_new.device)
    return attn.out_proj(merge_heads(grouped_query_attention(q, k, v, mask)))


MUST_FAIL = {
    "checks/test_kv_cache.py::test_decoding_one_position_at_a_time_with_the_cache_equals_the_full_causal_forward",
    "checks/test_kv_cache.py::test_prefilling_in_chunks_of_any_size_equals_the_full_causal_forward",
    "checks/test_sliding_window.py::test_decoding_with_a_rolling_cache_equals_band_masked_attention_and_the_cache_never_outgrows_the_window",
}
