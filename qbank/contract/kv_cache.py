"""The contract of the `kv_cache` component: KV-cache decoding, chunked prefill, sliding window."""

from dataclasses import replace

from qbank.contract.model import component

COMPONENT = replace(component(
    "kv_cache", "KV-cache decoding: chunks, the lower-right causal mask, sliding windows",
    "Cache each layer's keys and values, project only the new positions, attend over the cache: "
    "the same outputs as the full causal forward. A rolling cache does sliding-window attention in O(window) memory.",
    ("KVCache", "class", '''
class KVCache:
    """The keys and values of every position decoded so far, for one attention layer.

    Attributes: k [B, Hkv, S, Dk] and v [B, Hkv, S, Dv] (None before the first update);
    seq_len (int): how many positions have been decoded, i.e. the position of the next one.
    """

    def __init__(self):
        raise NotImplementedError

    def update(self, k_new: Tensor, v_new: Tensor) -> tuple[Tensor, Tensor]:
        """Append k_new [B, Hkv, T_new, Dk] and v_new [B, Hkv, T_new, Dv] after the cached
        positions; return all the cached keys and values, the new ones last."""
        raise NotImplementedError
'''),
    ("RollingKVCache", "class", '''
class RollingKVCache:
    """A KVCache for sliding-window attention (Mistral's rolling buffer): same attributes.

    update(k_new, v_new) takes ONE new position (T_new = 1) and returns the keys and values of
    the last `window` positions, the new one last: exactly what the newest query may read under
    sliding_window_mask. Between calls the cache holds at most `window` positions however many
    were decoded; seq_len still counts them all.
    """

    def __init__(self, window: int):
        raise NotImplementedError

    def update(self, k_new: Tensor, v_new: Tensor) -> tuple[Tensor, Tensor]:
        raise NotImplementedError
'''),
    ("causal_mask_lower_right", "function", '''
def causal_mask_lower_right(T: int, S: int) -> Tensor:
    """Bool [T, S], S >= T: the causal mask for T new queries that come after S - T cached
    positions. Query i sits at position S - T + i and may attend to key s iff s <= S - T + i:
    the diagonal is aligned to the bottom-right corner. (F.scaled_dot_product_attention's
    is_causal=True aligns it to the top-left corner, s <= i, which is only right when T = S.)
    """
    raise NotImplementedError
'''),
    ("sliding_window_mask", "function", '''
def sliding_window_mask(T: int, window: int) -> Tensor:
    """Bool [T, T]: query t may attend to key s iff t - window < s <= t, the last `window`
    positions, itself included (Mistral's convention, and Hugging Face's `sliding_window`)."""
    raise NotImplementedError
'''),
    ("decode_step", "function", '''
def decode_step(attn: nn.Module, x_new: Tensor, cache: KVCache) -> Tensor:
    """Run `attn` (a GroupedQueryAttention) on new positions x_new [B, T_new, D] that follow
    the cache.seq_len positions already cached:
      1. project x_new only (q, k, v of the new positions);
      2. if attn.rope_base is set, rotate q and k at positions seq_len .. seq_len + T_new - 1;
      3. cache.update(k, v), which returns every key and value the new queries may read;
      4. attend from the T_new queries over them with causal_mask_lower_right(T_new, S)
         (for T_new = 1 every cached position is allowed);
      5. out_proj.  returns [B, T_new, D].
    Decoding a sequence a position (or a chunk) at a time equals attn(x, causal mask) on all of it.
    With a RollingKVCache, pass one position at a time.
    """
    raise NotImplementedError
'''),
), imports=("import torch\nfrom torch import Tensor, nn\n\n"
            "# the attention layer the cache serves (the reference one, or your own)\n"
            "from solutions.gqa import GroupedQueryAttention, grouped_query_attention\n"
            "# pieces decode_step can reuse, under private names (they are other components)\n"
            "from solutions.multi_head import merge_heads as _merge_heads, split_heads as _split_heads\n"
            "from solutions.rope import apply_rope as _apply_rope\n"))
