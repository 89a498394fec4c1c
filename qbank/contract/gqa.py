"""The contract of the `gqa` component: Grouped-query attention (GQA, MQA)."""

from dataclasses import replace

from qbank.contract.model import component

COMPONENT = replace(component(
    "gqa", "Grouped-query attention (MQA, GQA)",
    "H query heads share Hkv key/value heads (Hkv = H: multi-head; Hkv = 1: multi-query): "
    "K/V parameters and the KV cache shrink by H / Hkv, the attention FLOPs do not.",
    ("grouped_query_attention", "function", '''
def grouped_query_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """Scaled dot-product attention where H query heads share Hkv key/value heads.

    q: [B, H, T, Dk]   k: [B, Hkv, S, Dk]   v: [B, Hkv, S, Dv]   (H a multiple of Hkv; new letter Hkv)
    Query head h reads key/value head h // (H / Hkv): the groups are runs of consecutive
    query heads, as in k.repeat_interleave(H // Hkv, dim=1) and in
    F.scaled_dot_product_attention(..., enable_gqa=True).
    mask: bool, broadcastable to [B, H, T, S]; True = may attend.
    returns [B, H, T, Dv]
    """
    raise NotImplementedError
'''),
    ("GroupedQueryAttention", "class", '''
class GroupedQueryAttention(nn.Module):
    """Self-attention with H query heads and Hkv key/value heads, Dk = d_model / H.

    Attributes: n_heads (H), n_kv_heads (Hkv), rope_base (float or None) and the projections
        q_proj = nn.Linear(D, H * Dk),   k_proj = nn.Linear(D, Hkv * Dk),
        v_proj = nn.Linear(D, Hkv * Dk), out_proj = nn.Linear(H * Dk, D),
    all with a bias iff `bias` (LLaMA has none). Head j owns output features j*Dk .. (j+1)*Dk - 1
    of its projection, as in multi_head.split_heads.
    With rope_base set, the queries and keys (not the values) of every head are rotated after
    the projections: apply_rope (halves layout) at positions 0 .. T-1 with that base.
    """

    def __init__(self, d_model: int, n_heads: int, n_kv_heads: int, bias: bool = False,
                 rope_base: float | None = None):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """x: [B, T, D]   mask: bool, broadcastable to [B, T, T] (the same for every head);
        True = may attend.  returns [B, T, D]."""
        raise NotImplementedError
'''),
), imports=("import torch\nfrom torch import Tensor, nn\n\n"
            "# with rope_base set, the module rotates q and k: use the reference RoPE, or your own\n"
            "from solutions.rope import apply_rope\n"))
