"""A reference mixture-of-experts layer and a Mixtral-shaped model, for checks/test_moe.py.

`moe_reference` recomputes a layer token by token from its weights, with the gates written
out from exponentials (Switch: e^{h_i} / sum over all E; renormalised: over the top k only)
and capacity as an explicit queue per expert. `mixtral_shaped` builds a decoder block and
the embeddings of nn.Linear / nn.Embedding / nn.RMSNorm modules with Mixtral 8x7B's shapes
(Jiang et al. 2024) on the meta device, so its parameters can be counted without allocating
them (tests/test_oracle_mixtral_shape.py matches the count with transformers' Mixtral).
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


def mixtral_shaped(d: int = 4096, experts: int = 8, d_ff: int = 14336, heads: int = 32, kv_heads: int = 8,
                   vocab: int = 32000) -> nn.ModuleDict:
    """One Mixtral-8x7B-shaped decoder block and the model's ends, on the meta device:
    grouped-query attention (kv_heads key/value heads), a router, SwiGLU experts (gate, up,
    down; no biases), RMSNorms, untied input and output embeddings. (The 32 blocks are alike;
    building one keeps the check fast.)"""
    head = d // heads

    def linear(i: int, o: int) -> nn.Linear:
        return nn.Linear(i, o, bias=False, device="meta")

    block = nn.ModuleDict({
        "attn": nn.ModuleDict({"q": linear(d, heads * head), "k": linear(d, kv_heads * head),
                               "v": linear(d, kv_heads * head), "o": linear(heads * head, d)}),
        "router": linear(d, experts),
        "experts": nn.ModuleList(nn.ModuleDict({"gate": linear(d, d_ff), "up": linear(d, d_ff),
                                                "down": linear(d_ff, d)}) for _ in range(experts)),
        "norms": nn.ModuleList(nn.RMSNorm(d, device="meta") for _ in range(2)),
    })
    ends = nn.ModuleDict({"embed": nn.Embedding(vocab, d, device="meta"), "norm": nn.RMSNorm(d, device="meta"),
                          "lm_head": linear(d, vocab)})
    return nn.ModuleDict({"block": block, "ends": ends})


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def total_and_active(model: nn.ModuleDict, layers: int, k: int) -> tuple[int, int]:
    """Every parameter of `layers` blocks and the ends, and those one token uses: all but the
    experts of each block it is not routed to."""
    block, experts = model["block"], model["block"]["experts"]
    total = layers * count(block) + count(model["ends"])
    idle = layers * sum(count(e) for e in experts[k:])
    return total, total - idle


def entropy(counts: Tensor) -> float:
    p = counts.double() / counts.sum()
    return -float((p[p > 0] * p[p > 0].log()).sum())


