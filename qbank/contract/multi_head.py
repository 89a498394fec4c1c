"""The contract of the `multi_head` component: Multi-head attention."""

from qbank.contract.model import component

COMPONENT = component(
    "multi_head", "Multi-head attention",
    "Split D into H heads of Dk = D / H, attend in each, merge, project with W_O.",
    ("split_heads", "function", '''
def split_heads(x: Tensor, n_heads: int) -> Tensor:
    """[B, T, D] -> [B, H, T, Dk] with Dk = D / H; head h gets features h*Dk .. (h+1)*Dk - 1."""
    raise NotImplementedError
'''),
    ("merge_heads", "function", '''
def merge_heads(x: Tensor) -> Tensor:
    """[B, H, T, Dk] -> [B, T, H * Dk]: the inverse of split_heads (concatenate the heads)."""
    raise NotImplementedError
'''),
    ("MultiHeadAttention", "class", '''
class MultiHeadAttention(nn.Module):
    """MultiHead(Q, K, V) = Concat(head_1, ..., head_H) W_O,  head_h = Attention(Q W_Q^h, K W_K^h, V W_V^h).

    Attributes: q_proj, k_proj, v_proj, out_proj, each nn.Linear(d_model, d_model) with bias;
    the per-head projections W_Q^h are the column blocks of the fused q_proj.
    Other conventions are declared (see the contract's "Declared capabilities"): e.g. one
    qkv_proj = nn.Linear(D, 3 * D) with rows [W_Q; W_K; W_V]; mask_format = "blocked" | "int" |
    "additive" | None; mask_head_axis = True; causal_only = True (forward(x, mask=None)).
    """

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        raise NotImplementedError

    def forward(self, query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None) -> Tensor:
        """query: [B, T, D]   key, value: [B, S, D]   mask: bool, broadcastable to [B, T, S]
        (the same for every head).  returns [B, T, D]."""
        raise NotImplementedError
'''),
)
