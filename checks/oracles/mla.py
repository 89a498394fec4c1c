"""Explicit multi-head latent attention, built from a module's weights (checks/test_mla.py).

`explicit_mla(m, x, mask)` reads the weights of a MultiHeadLatentAttention as the contract names
them, materialises every head's full keys [B, H, T, Dk + d_rope] and values [B, H, T, Dk] (the
thing MLA's cache avoids), rotates the rope parts with the rotation-matrix oracle
(`checks.oracles.rope.rotate`) and hands the rest to `F.scaled_dot_product_attention`, whose
default scale 1/√(query width) is DeepSeek-V2's 1/√(Dk + d_rope).
"""

import torch
import torch.nn.functional as F

from checks.oracles.rope import rotate


def heads(y: torch.Tensor, H: int) -> torch.Tensor:
    """[B, T, H * w] -> [B, H, T, w]: head j owns features j*w .. (j+1)*w - 1."""
    B, T, _ = y.shape
    return y.view(B, T, H, -1).transpose(1, 2)


def explicit_mla(m, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """x [B, T, D], mask bool broadcastable to [B, T, T] (True = may attend) -> [B, T, D]."""
    B, T, _ = x.shape
    H, R = m.n_heads, m.d_rope
    c = x @ m.kv_down.weight.T  # [B, T, C]
    q = heads(x @ m.q_proj.weight.T, H)
    k = heads(c @ m.k_up.weight.T, H)
    v = heads(c @ m.v_up.weight.T, H)
    if R:
        positions = list(range(T))
        q_r = rotate(heads(x @ m.q_rope.weight.T, H), positions, m.rope_base)
        k_r = rotate(x @ m.k_rope.weight.T, positions, m.rope_base)[:, None].expand(B, H, T, R)
        q, k = torch.cat([q, q_r], dim=-1), torch.cat([k, k_r], dim=-1)
    if mask is not None:
        mask = mask.unsqueeze(-3)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # [B, H, T, Dk]
    return out.transpose(1, 2).reshape(B, T, -1) @ m.out_proj.weight.T
