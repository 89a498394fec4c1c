"""PyTorch's own implementations, exposed through the implementation contract.

`pytest checks --impl qbank.torch_adapter` grades PyTorch itself. A check that fails
here rejects a correct implementation, so it is the check that is wrong; `tests/`
runs this on every change.

Where PyTorch has no public module for a contract name (split_heads, merge_heads) this
adapter leaves it out, and the checks of that name are skipped. The only code here
converts conventions: PyTorch's MultiheadAttention takes a bool mask that is True where
attending is NOT allowed, the opposite of the contract (and of SDPA).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def attention_weights(q: Tensor, k: Tensor, mask: Tensor | None = None) -> Tensor:
    # SDPA returns weights @ v; with v = the identity, that is the weights themselves
    eye = torch.eye(k.size(-2), dtype=q.dtype).expand(*k.shape[:-1], k.size(-2))
    return F.scaled_dot_product_attention(q, k, eye, attn_mask=mask)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def causal_mask(T: int) -> Tensor:
    return nn.Transformer.generate_square_subsequent_mask(T) == 0  # 0 = allowed, -inf = future


def padding_mask(is_pad: Tensor) -> Tensor:
    return ~is_pad[:, None, :]  # nn.MultiheadAttention's key_padding_mask is is_pad itself


class MultiHeadAttention(nn.Module):
    """`F.multi_head_attention_forward`, the function behind nn.MultiheadAttention,
    with separate q/k/v projections stored as the contract's nn.Linear layers."""

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None) -> Tensor:
        B, T, D = query.shape
        S = key.size(1)
        attn_mask = None
        if mask is not None:  # [B?, T?, S], True = may attend -> [B*H, T, S], True = blocked
            attn_mask = ~mask.expand(B, T, S).repeat_interleave(self.n_heads, dim=0)
        out, _ = F.multi_head_attention_forward(
            query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1), D, self.n_heads,
            in_proj_weight=None,
            in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
            bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0,
            out_proj_weight=self.out_proj.weight, out_proj_bias=self.out_proj.bias,
            need_weights=False, attn_mask=attn_mask, use_separate_proj_weight=True,
            q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight, v_proj_weight=self.v_proj.weight)
        return out.transpose(0, 1)  # [T, B, D] -> [B, T, D]


class CrossAttention(MultiHeadAttention):
    def forward(self, x: Tensor, memory: Tensor, mask: Tensor | None = None) -> Tensor:
        return super().forward(x, memory, memory, mask)


LayerNorm = nn.LayerNorm
BatchNorm = nn.BatchNorm1d


class FeedForward(nn.Module):
    """The FFN of nn.TransformerEncoderLayer: linear1 -> ReLU -> linear2 (its dropouts at 0)."""

    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(F.relu(self.linear1(x)))
