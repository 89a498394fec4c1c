""""Tiled" attention that first computes every score q kᵀ and only then walks over blocks of
columns: exact, but the T x S matrix exists, which is what tiling is meant to avoid."""

import math

import torch

from solutions.softmax import attention_block, logsumexp, merge_blocks, softmax


def tiled_attention(q, k, v, block_size):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # [T, S], all at once
    m = scores.amax(dim=-1, keepdim=True)
    l = torch.zeros_like(m)
    acc = torch.zeros(*q.shape[:-1], v.size(-1), dtype=q.dtype)
    for start in range(0, k.size(-2), block_size):
        p = torch.exp(scores[..., start:start + block_size] - m)
        l = l + p.sum(dim=-1, keepdim=True)
        acc = acc + p @ v[..., start:start + block_size, :]
    return acc / l


MUST_FAIL = {
    "checks/test_softmax.py::test_tiled_attention_never_holds_a_t_by_s_tensor_its_largest_intermediate_does_not_grow_with_s",
}
