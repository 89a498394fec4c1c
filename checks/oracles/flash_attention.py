"""FlashAttention's backward pass (Dao et al. 2022, Algorithm 2 / 4), written out block by block.

`flash_attention(q, k, v, block, forward)` is attention as an autograd Function that keeps only
q, k, v, the output O and one log-sum-exp L per query for the backward pass. The forward
(O and L) is computed by `forward(q, k, v)`, i.e. by the implementation under test; the
backward recomputes each block's probabilities P = exp(q kᵀ/√Dk − L) from q and k instead of
reading stored weights, then forms dV = Pᵀ dO, dP = dO Vᵀ, dS = P ∘ (dP − rowsum(dO ∘ O)),
dQ = dS K / √Dk and dK = dSᵀ Q / √Dk. Five [T, block] matrix products per block against the
textbook backward's four: the recomputation of q kᵀ is the extra one.

checks/test_softmax.py compares its gradients with PyTorch's own attention backward and counts
its FLOPs.
"""

import math

import torch


class _RecomputingAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, block, forward):
        out, lse = forward(q, k, v)  # [..., T, Dv], [..., T, 1]
        ctx.save_for_backward(q, k, v, out, lse)
        ctx.block = block
        return out

    @staticmethod
    def backward(ctx, d_out):
        q, k, v, out, lse = ctx.saved_tensors
        scale = 1 / math.sqrt(q.size(-1))
        delta = (d_out * out).sum(dim=-1, keepdim=True)  # rowsum(dO ∘ O) = Σ_j P_ij dP_ij, [..., T, 1]
        dq, dk, dv = torch.zeros_like(q), torch.empty_like(k), torch.empty_like(v)
        for start in range(0, k.size(-2), ctx.block):
            cols = slice(start, start + ctx.block)
            k_b, v_b = k[..., cols, :], v[..., cols, :]
            p = torch.exp(q @ k_b.transpose(-2, -1) * scale - lse)  # recomputed, [..., T, block]
            dv[..., cols, :] = p.transpose(-2, -1) @ d_out
            ds = p * (d_out @ v_b.transpose(-2, -1) - delta)
            dq += ds @ k_b * scale
            dk[..., cols, :] = ds.transpose(-2, -1) @ q * scale
        return dq, dk, dv, None, None


def flash_attention(q, k, v, block: int, forward):
    """softmax(q kᵀ/√Dk) v with FlashAttention's memory layout for backward: see the module doc."""
    return _RecomputingAttention.apply(q, k, v, block, forward)
