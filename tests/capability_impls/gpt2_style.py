"""A learner's code base in GPT-2's style, graded through declared capabilities
(checks/capabilities.py; tests/test_capabilities.py runs the checks on it).

- MultiHeadAttention: GPT-2's attention. One fused projection (`qkv_proj`, rows [W_Q; W_K; W_V],
  as GPT-2's `c_attn` after transposing its Conv1D weight), always causal, self-attention only:
  forward(x, mask=None) with an additive [B, 1, T, S] mask (0 = may attend, -inf = blocked)
  on top of the causal one.
- EncoderLayer: pre-norm only (no `norm_first` argument), its self-attention fused too, taking
  `is_pad`-style masks (True = blocked) with a head axis.
- causal_mask, padding_mask: the masking component, as the contract has it.
"""

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from solutions.feed_forward import FeedForward as _FeedForward
from solutions.normalization import LayerNorm as _LayerNorm


def causal_mask(T: int) -> Tensor:
    return torch.ones(T, T, dtype=torch.bool).tril()


def padding_mask(is_pad: Tensor) -> Tensor:
    return ~is_pad[:, None, :]


def _heads(x: Tensor, n_heads: int) -> Tensor:
    B, T, D = x.shape
    return x.view(B, T, n_heads, D // n_heads).transpose(1, 2)  # [B, H, T, Dk]


def _attend(q: Tensor, k: Tensor, v: Tensor, bias: Tensor) -> Tensor:
    """Scores plus an additive bias (0 or -inf), softmax, values; a query with every key
    blocked gets zero weights (the contract's convention), not NaN."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)) + bias
    return torch.nan_to_num(scores.softmax(-1)) @ v


class MultiHeadAttention(nn.Module):
    causal_only = True
    mask_format = "additive"
    mask_head_axis = True

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.qkv_proj = nn.Linear(d_model, 3 * d_model)  # GPT-2's c_attn, as a Linear
        self.out_proj = nn.Linear(d_model, d_model)  # GPT-2's c_proj

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        B, T, D = x.shape
        q, k, v = (_heads(y, self.n_heads) for y in self.qkv_proj(x).split(D, dim=-1))
        bias = torch.zeros(T, T, dtype=x.dtype).masked_fill(~causal_mask(T), float("-inf"))
        if mask is not None:
            bias = bias + mask  # [B, 1, T, T]
        out = _attend(q, k, v, bias)  # [B, H, T, Dk]
        return self.out_proj(out.transpose(1, 2).reshape(B, T, D))


class _FusedSelfAttention(nn.Module):
    """Bidirectional attention with one fused projection; masks True = blocked, [B, 1, T, S]."""

    mask_format = "blocked"
    mask_head_axis = True

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.qkv_proj = nn.Linear(d_model, 3 * d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, blocked: Tensor | None = None) -> Tensor:
        D = query.size(-1)
        w, b = self.qkv_proj.weight.split(D), self.qkv_proj.bias.split(D)
        q, k, v = (_heads(F.linear(x, w[i], b[i]), self.n_heads) for i, x in enumerate((query, key, value)))
        bias = torch.zeros((), dtype=query.dtype)
        if blocked is not None:
            bias = torch.zeros(blocked.shape, dtype=query.dtype).masked_fill(blocked, float("-inf"))
        out = _attend(q, k, v, bias)
        B, H, T, Dk = out.shape
        return self.out_proj(out.transpose(1, 2).reshape(B, T, H * Dk))


class EncoderLayer(nn.Module):
    norm_placements = ("pre",)
    mask_format = "blocked"
    mask_head_axis = True

    def __init__(self, d_model: int, n_heads: int, d_ff: int):
        super().__init__()
        self.self_attn = _FusedSelfAttention(d_model, n_heads)
        self.ffn = _FeedForward(d_model, d_ff)
        self.norm1, self.norm2 = _LayerNorm(d_model), _LayerNorm(d_model)

    def forward(self, x: Tensor, blocked: Tensor | None = None) -> Tensor:
        n = self.norm1(x)
        x = x + self.self_attn(n, n, n, blocked)
        return x + self.ffn(self.norm2(x))
