"""A reference mixture-of-experts layer, for checks/test_moe.py to compare the implementation
under test with.

`moe_reference` recomputes a layer token by token from its weights, with the gates written
out from exponentials (Switch: e^{h_i} / sum over all E; renormalised: over the top k only)
and capacity as an explicit queue per expert; `entropy` of expert usage counts.
"""

from __future__ import annotations


import torch
from torch import Tensor, nn


def moe_reference(layer: nn.Module, x: Tensor, k: int, renormalize: bool,
                  capacity: int | None = None) -> Tensor:
    """The output of an MoE layer with `layer.router` and `layer.experts[e].linear1/linear2`."""
    W = layer.router.weight  # [E, D]
    N, E = x.size(0), W.size(0)
    h = x @ W.T  # [N, E]
    choices = []  # per token: its experts in order of preference, and their gates
    for n in range(N):
        order = sorted(range(E), key=lambda e: -h[n, e].item())[:k]
        exps = torch.exp(h[n] - h[n].max())
        denom = exps[order].sum() if renormalize else exps.sum()
        choices.append([(e, exps[e] / denom) for e in order])
    taken = [0] * E
    out = torch.zeros_like(x)
    for j in range(k):  # first choices of every token, then second choices, ...
        for n in range(N):
            e, gate = choices[n][j]
            taken[e] += 1
            if capacity is not None and taken[e] > capacity:
                continue  # dropped: adds nothing
            ffn = layer.experts[e]
            hidden = torch.relu(ffn.linear1.weight @ x[n] + ffn.linear1.bias)
            out[n] += gate * (ffn.linear2.weight @ hidden + ffn.linear2.bias)
    return out


def switch_loss_reference(logits: Tensor) -> Tensor:
    """E * sum_i f_i P_i with f_i counted in a loop (a constant) and P_i the mean probability."""
    N, E = logits.shape
    counts = [0] * E
    for n in range(N):
        counts[int(logits[n].argmax())] += 1
    f = torch.tensor(counts, dtype=logits.dtype) / N
    return E * (f * logits.softmax(-1).mean(0)).sum()


def entropy(counts: Tensor) -> float:
    p = counts.double() / counts.sum()
    return -float((p[p > 0] * p[p > 0].log()).sum())


