"""Blockwise but not online: a first pass over the key blocks finds each row's maximum, a second
recomputes the scores to sum exp(s - max). Exact and small in memory, but it computes q kᵀ twice:
6n²d forward FLOPs instead of 4n²d (and reads K twice)."""

import math

import torch

from solutions.softmax import attention_block, logsumexp, merge_blocks, softmax


def tiled_attention(q, k, v, block_size):
    S, scale = k.size(-2), 1 / math.sqrt(q.size(-1))
    m = torch.full((*q.shape[:-1], 1), float("-inf"), dtype=q.dtype)
    for start in range(0, S, block_size):  # pass 1: the maxima
        s = q @ k[..., start:start + block_size, :].transpose(-2, -1) * scale
        m = torch.maximum(m, s.amax(dim=-1, keepdim=True))
    l = torch.zeros_like(m)
    acc = torch.zeros(*q.shape[:-1], v.size(-1), dtype=q.dtype)
    for start in range(0, S, block_size):  # pass 2: the sums, scores computed again
        p = torch.exp(q @ k[..., start:start + block_size, :].transpose(-2, -1) * scale - m)
        l = l + p.sum(dim=-1, keepdim=True)
        acc = acc + p @ v[..., start:start + block_size, :]
    return acc / l


MUST_FAIL = {
    "checks/test_softmax.py::test_tiling_keeps_the_forward_flops_but_training_with_its_recomputing_backward_costs_14n2d_not_12n2d",
}
