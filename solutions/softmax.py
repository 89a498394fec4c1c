"""The numerically stable softmax, log-sum-exp, and the online softmax behind FlashAttention.

softmax(x)_j = e^{x_j} / Σ_i e^{x_i} is unchanged by subtracting any constant from every x_i.
Subtracting the maximum m makes every exponent <= 0, so e^{x - m} <= 1 never overflows (and
the largest term is exactly 1, so the sum never underflows to 0):

    softmax(x) = e^{x - m} / Σ e^{x - m},      logsumexp(x) = m + log Σ e^{x - m}

Online softmax (Milakov & Gimelshein 2018): the state (m, l, acc) of a block of keys — its
maximum, Σ e^{s - m} and Σ e^{s - m} v — can be merged with another block's by rescaling both
to the larger maximum. Folding the blocks one by one gives exact attention without ever holding
all T x S scores: FlashAttention's forward pass (Dao et al. 2022).
Shapes: q [..., T, Dk], k [..., S, Dk], v [..., S, Dv].
"""

import math

import torch
from torch import Tensor


# --8<-- [start:softmax]
def softmax(x: Tensor, dim: int = -1) -> Tensor:
    e = torch.exp(x - x.amax(dim=dim, keepdim=True))  # every exponent <= 0: e <= 1
    return e / e.sum(dim=dim, keepdim=True)
# --8<-- [end:softmax]


# --8<-- [start:logsumexp]
def logsumexp(x: Tensor, dim: int = -1) -> Tensor:
    m = x.amax(dim=dim, keepdim=True)
    m = torch.where(torch.isinf(m), torch.zeros_like(m), m)  # all -inf: avoid -inf - (-inf) = NaN
    return (m + torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))).squeeze(dim)
# --8<-- [end:logsumexp]


# --8<-- [start:attention_block]
def attention_block(q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    s = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # [..., T, S_b]: this block's scores only
    m = s.amax(dim=-1, keepdim=True)  # [..., T, 1]
    p = torch.exp(s - m)  # <= 1
    return m, p.sum(dim=-1, keepdim=True), p @ v  # m, l [..., T, 1], acc [..., T, Dv]
# --8<-- [end:attention_block]


# --8<-- [start:merge_blocks]
def merge_blocks(a: tuple[Tensor, Tensor, Tensor], b: tuple[Tensor, Tensor, Tensor]) -> tuple[Tensor, Tensor, Tensor]:
    (m_a, l_a, acc_a), (m_b, l_b, acc_b) = a, b
    m = torch.maximum(m_a, m_b)
    ra, rb = torch.exp(m_a - m), torch.exp(m_b - m)  # <= 1: rescale both to the common maximum
    return m, l_a * ra + l_b * rb, acc_a * ra + acc_b * rb
# --8<-- [end:merge_blocks]


# --8<-- [start:tiled_attention]
def tiled_attention(q: Tensor, k: Tensor, v: Tensor, block_size: int) -> Tensor:
    state = None
    for start in range(0, k.size(-2), block_size):  # one block of keys at a time
        block = attention_block(q, k[..., start:start + block_size, :], v[..., start:start + block_size, :])
        state = block if state is None else merge_blocks(state, block)
    _, l, acc = state  # the running maximum has done its job
    return acc / l  # [..., T, Dv]
# --8<-- [end:tiled_attention]
