"""The contract of the `mla` component: multi-head latent attention (DeepSeek-V2)."""

from dataclasses import replace

from qbank.contract.model import component

COMPONENT = replace(component(
    "mla", "Multi-head latent attention (MLA): a low-rank KV cache",
    "Keys and values come up from one shared latent per token, so the cache holds d_latent (+ d_rope) "
    "numbers per token; at decode time W_UK folds into the query and W_UV into the output, so the "
    "cached latents are never up-projected. Decoupled RoPE carries the position on a few extra dimensions.",
    ("MultiHeadLatentAttention", "class", '''
class MultiHeadLatentAttention(nn.Module):
    """Self-attention whose keys and values are up-projected from a latent of width d_latent.

    New letters: C = d_latent (the latent width), R = d_rope (decoupled-RoPE width, 0 = none).
    Attributes: n_heads (H), d_latent (C), d_rope (R), rope_base, and the projections, no biases:
        q_proj  = nn.Linear(D, H * Dk)     kv_down = nn.Linear(D, C)          (W_DKV)
        k_up    = nn.Linear(C, H * Dk)     v_up    = nn.Linear(C, H * Dk)     (W_UK, W_UV)
        out_proj = nn.Linear(H * Dk, D)
      and, only if R > 0:
        q_rope  = nn.Linear(D, H * R)      k_rope  = nn.Linear(D, R)   (one rope key per token, shared by all heads)
    Dk = D / H; head j owns output features j*Dk .. (j+1)*Dk - 1 (j*R .. for q_rope), as in split_heads.

    Per head h and positions t, s, with c(s) = kv_down(x_s):
        q = [q_proj(x_t)_h ; apply_rope(q_rope(x_t)_h, t)]      k = [k_up(c(s))_h ; apply_rope(k_rope(x_s), s)]
        v = v_up(c(s))_h      score = q . k / sqrt(Dk + R)
    apply_rope is the halves layout with base rope_base. Then softmax over s, weights @ v, merge heads, out_proj.
    """

    def __init__(self, d_model: int, n_heads: int, d_latent: int, d_rope: int = 0, rope_base: float = 10000.0):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """x: [B, T, D]   mask: bool, broadcastable to [B, T, T] (the same for every head);
        True = may attend.  returns [B, T, D]. The explicit computation: every head's keys and values."""
        raise NotImplementedError
'''),
    ("LatentKVCache", "class", '''
class LatentKVCache:
    """What an MLA layer caches: c [B, S, C] (the latents kv_down(x)) and k_rope [B, S, R] (the
    rotated rope keys; R may be 0), both None before the first update; seq_len (int) counts the
    positions decoded so far. Nothing per head is stored."""

    def __init__(self):
        raise NotImplementedError

    def update(self, c_new: Tensor, k_rope_new: Tensor) -> tuple[Tensor, Tensor]:
        """Append c_new [B, T_new, C] and k_rope_new [B, T_new, R]; return all of c and k_rope, new ones last."""
        raise NotImplementedError
'''),
    ("mla_decode_step", "function", '''
def mla_decode_step(attn: nn.Module, x_new: Tensor, cache: LatentKVCache) -> Tensor:
    """Absorbed decoding: run `attn` (a MultiHeadLatentAttention) on x_new [B, T_new, D] that follow
    the cache.seq_len cached positions. Cache kv_down(x_new) and the rope keys rotated at positions
    seq_len .. seq_len + T_new - 1; score each head's query against the cached LATENTS, using
    attn.k_up.weight folded into the query (q_h @ W_UK,h), take the weighted sum of latents and
    only then apply W_UV,h (attn.v_up.weight) and out_proj. Never call attn.k_up or attn.v_up on
    the cache: that would rebuild the per-head keys and values the latent cache exists to avoid.
    Causal mask aligned bottom-right (causal_mask_lower_right). returns [B, T_new, D], equal to
    attn(x, causal mask) at those positions.
    """
    raise NotImplementedError
'''),
), imports=("import math\n\nimport torch\nfrom torch import Tensor, nn\n\n"
            "# pieces you may reuse, under private names (they are other components)\n"
            "from solutions.kv_cache import causal_mask_lower_right as _causal_mask_lower_right\n"
            "from solutions.multi_head import merge_heads as _merge_heads, split_heads as _split_heads\n"
            "from solutions.rope import apply_rope as _apply_rope\n"))
