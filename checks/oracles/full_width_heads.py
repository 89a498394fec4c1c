"""Multi-head attention without the width reduction, as a counterfactual for the multi-head checks.

Each of the H heads is D wide (Dk = D instead of D / H), so the concatenation is H·D wide and
W_O reads H·D features: 4·H·D² + 3·H·D + D parameters and H times the FLOPs of the usual module.
Built from nn.Linear and F.scaled_dot_product_attention; inputs [B, T, D], batch first.
Used by checks/test_multi_head.py.
"""

import torch.nn.functional as F
from torch import nn


class FullWidthHeads(nn.Module):
    """Multi-head attention WITHOUT the reduction: each of the H heads is D wide."""

    def __init__(self, d_model: int, n_heads: int, device=None):
        super().__init__()
        self.n_heads = n_heads
        wide = d_model * n_heads
        self.q_proj, self.k_proj, self.v_proj = (nn.Linear(d_model, wide, device=device) for _ in range(3))
        self.out_proj = nn.Linear(wide, d_model, device=device)  # W_O must read H * D features

    def forward(self, query, key, value):
        B, T, D = query.shape
        H = self.n_heads
        q, k, v = (p(x).view(B, -1, H, D).transpose(1, 2)
                   for p, x in ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value)))
        concat = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(B, T, H * D)
        return self.out_proj(concat)
