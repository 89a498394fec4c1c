"""Mixture-of-experts routing: a router picks each token's top-k of E expert FFNs.

Gate weights, two conventions. With logits h = W_r x and T the top-k experts:
- Switch (Fedus et al. 2021): g_i = softmax(h)_i over ALL E experts, kept for i in T as is.
- renormalised (GShard, Mixtral): g_i = exp(h_i) / sum_{j in T} exp(h_j), summing to 1.
Renormalised top-1 makes the only weight exactly 1: the router then gets no gradient from the
task loss and never learns. Switch's p_i keeps the router in the gradient's path.

Load balancing: E * sum_i f_i P_i, f_i the fraction of tokens whose top-1 is i (a count, no
gradient), P_i the mean router probability of i (differentiable): its gradient pushes
probability away from the busiest experts.

Capacity: each expert takes C = ceil(cf * N * k / E) assignments, first choices first, each in
token order; the rest are dropped and add nothing (the residual carries those tokens on).
"""

import math

import torch
from torch import Tensor, nn

from solutions.feed_forward import FeedForward


# --8<-- [start:top_k_gates]
def top_k_gates(logits: Tensor, k: int, renormalize: bool) -> Tensor:
    top = logits.topk(k, dim=-1)  # values, indices: [N, k]
    if renormalize:
        kept = top.values.softmax(dim=-1)  # softmax over the k chosen logits: rows sum to 1
    else:
        kept = logits.softmax(dim=-1).gather(-1, top.indices)  # softmax over all E, no rescaling
    return torch.zeros_like(logits).scatter(-1, top.indices, kept)  # [N, E]
# --8<-- [end:top_k_gates]


# --8<-- [start:load_balancing_loss]
def load_balancing_loss(logits: Tensor) -> Tensor:
    N, E = logits.shape
    f = torch.bincount(logits.argmax(dim=-1), minlength=E).to(logits.dtype) / N  # [E], no gradient
    P = logits.softmax(dim=-1).mean(dim=0)  # [E], differentiable
    return E * (f * P).sum()
# --8<-- [end:load_balancing_loss]


# --8<-- [start:expert_capacity]
def expert_capacity(n_tokens: int, n_experts: int, k: int, capacity_factor: float) -> int:
    return math.ceil(capacity_factor * n_tokens * k / n_experts)
# --8<-- [end:expert_capacity]


# --8<-- [start:MoELayer]
class MoELayer(nn.Module):
    def __init__(self, d_model: int, d_ff: int, n_experts: int, k: int, renormalize: bool = True,
                 capacity_factor: float | None = None):
        super().__init__()
        self.k, self.renormalize, self.capacity_factor = k, renormalize, capacity_factor
        self.router = nn.Linear(d_model, n_experts, bias=False)
        self.experts = nn.ModuleList(FeedForward(d_model, d_ff) for _ in range(n_experts))

    def route(self, x: Tensor) -> Tensor:
        """[N, E] gate weights, 0 off each token's top-k and for assignments past capacity."""
        N, E = x.size(0), len(self.experts)
        logits = self.router(x)  # [N, E]
        gates = top_k_gates(logits, self.k, self.renormalize)  # [N, E]
        if self.capacity_factor is None:
            return gates
        C = expert_capacity(N, E, self.k, self.capacity_factor)
        choice = logits.topk(self.k, dim=-1).indices.T.reshape(-1)  # [k*N]: first choices, then second...
        token = torch.arange(N).repeat(self.k)  # [k*N]
        arrivals = nn.functional.one_hot(choice, E).cumsum(dim=0)  # [k*N, E]: arrivals so far
        dropped = arrivals.gather(1, choice[:, None]).squeeze(1) > C  # past the first C
        return gates.index_put((token[dropped], choice[dropped]), torch.zeros((), dtype=gates.dtype))

    def forward(self, x: Tensor) -> Tensor:  # x: [N, D]
        gates = self.route(x)  # [N, E]
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            rows = gates[:, e].nonzero().squeeze(-1)  # the tokens expert e actually processes
            if len(rows):
                out.index_add_(0, rows, gates[rows, e, None] * expert(x[rows]))
        return out
# --8<-- [end:MoELayer]
