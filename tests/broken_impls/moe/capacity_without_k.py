"""Expert capacity ceil(cf * N / E) that forgets the k assignments each token makes."""

import math

import torch
from torch import nn

from solutions.moe import MoELayer as _Layer
from solutions.moe import load_balancing_loss, top_k_gates  # noqa: F401


def expert_capacity(n_tokens, n_experts, k, capacity_factor):
    return math.ceil(capacity_factor * n_tokens / n_experts)  # k forgotten


class MoELayer(_Layer):  # the reference layer, with this capacity
    def route(self, x):
        N, E = x.size(0), len(self.experts)
        logits = self.router(x)
        gates = top_k_gates(logits, self.k, self.renormalize)
        if self.capacity_factor is None:
            return gates
        C = expert_capacity(N, E, self.k, self.capacity_factor)
        choice = logits.topk(self.k, dim=-1).indices.T.reshape(-1)
        token = torch.arange(N).repeat(self.k)
        arrivals = nn.functional.one_hot(choice, E).cumsum(dim=0)
        dropped = arrivals.gather(1, choice[:, None]).squeeze(1) > C
        return gates.index_put((token[dropped], choice[dropped]), torch.zeros((), dtype=gates.dtype))


MUST_FAIL = {
    "checks/test_moe.py::test_expert_capacity_is_the_ceiling_of_cf_times_tokens_times_k_over_experts",
    "checks/test_moe.py::test_assignments_past_an_experts_capacity_add_nothing_first_choices_first_in_token_order",
}
