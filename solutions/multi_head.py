"""Multi-head attention: H attention functions side by side, each on a Dk = D / H slice.

    MultiHead(Q, K, V) = Concat(head_1, ..., head_H) W_O
    head_h = Attention(Q W_Q^h, K W_K^h, V W_V^h)

One fused D x D projection computes all H per-head projections at once: W_Q^h is the
h-th block of Dk columns of W_Q. Splitting the heads is then a reshape of the last axis
followed by a transpose that brings H before T; merging undoes both.

Shapes: B batch, T queries, S keys/values, D = d_model, H heads, Dk = D / H.
Mask convention: bool, broadcastable to [B, T, S], True = may attend; the same mask is
used by every head.
"""

from torch import Tensor, nn

from solutions.attention import scaled_dot_product_attention


# --8<-- [start:split_heads]
def split_heads(x: Tensor, n_heads: int) -> Tensor:
    """[B, T, D] -> [B, H, T, Dk]: head h gets features h*Dk .. (h+1)*Dk - 1."""
    B, T, D = x.shape
    if D % n_heads:
        raise ValueError(f"d_model={D} is not divisible by n_heads={n_heads}")
    return x.view(B, T, n_heads, D // n_heads).transpose(1, 2)  # b t (h d) -> b h t d
# --8<-- [end:split_heads]


# --8<-- [start:merge_heads]
def merge_heads(x: Tensor) -> Tensor:
    """[B, H, T, Dk] -> [B, T, H * Dk]: concatenate the heads' outputs."""
    B, H, T, Dk = x.shape
    return x.transpose(1, 2).reshape(B, T, H * Dk)  # b h t d -> b t (h d)
# --8<-- [end:merge_heads]


# --8<-- [start:MultiHeadAttention]
class MultiHeadAttention(nn.Module):
    """query [B, T, D], key and value [B, S, D] -> [B, T, D]. Head h owns output features
    h*Dk .. (h+1)*Dk - 1 of q_proj, k_proj and v_proj, and the same input features of out_proj."""

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.q_proj = nn.Linear(d_model, d_model)  # all H W_Q^h side by side
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)  # W_O

    def forward(self, query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None) -> Tensor:
        # 1) project, then split the D features into H heads of Dk
        q = split_heads(self.q_proj(query), self.n_heads)  # [B, H, T, Dk]
        k = split_heads(self.k_proj(key), self.n_heads)  # [B, H, S, Dk]
        v = split_heads(self.v_proj(value), self.n_heads)  # [B, H, S, Dk]
        # 2) attend in every head at once; the mask gets a head axis to broadcast over
        if mask is not None:
            mask = mask.unsqueeze(-3)  # [B, T, S] -> [B, 1, T, S]
        heads = scaled_dot_product_attention(q, k, v, mask)  # [B, H, T, Dk]
        # 3) concatenate the heads and mix them with W_O
        return self.out_proj(merge_heads(heads))  # [B, T, D]
# --8<-- [end:MultiHeadAttention]
