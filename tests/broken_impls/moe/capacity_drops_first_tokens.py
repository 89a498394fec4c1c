"""Expert capacity that keeps the last C tokens sent to an expert and drops the first ones."""

import torch
from torch import nn

from solutions.moe import MoELayer as _Layer
from solutions.moe import expert_capacity, load_balancing_loss, top_k_gates  # noqa: F401


class MoELayer(_Layer):
    def route(self, x):
        N, E = x.size(0), len(self.experts)
        logits = self.router(x)
        gates = top_k_gates(logits, self.k, self.renormalize)
        if self.capacity_factor is None:
            return gates
        C = expert_capacity(N, E, self.k, self.capacity_factor)
        choice = logits.topk(self.k, dim=-1).indices.T.reshape(-1)
        token = torch.arange(N).repeat(self.k)
        still_to_come = nn.functional.one_hot(choice, E).flip(0).cumsum(0).flip(0)  # from here to the end
        dropped = still_to_come.gather(1, choice[:, None]).squeeze(1) > C  # keeps the last C
        return gates.index_put((token[dropped], choice[dropped]), torch.zeros((), dtype=gates.dtype))


MUST_FAIL = {
    "checks/test_moe.py::test_assignments_past_an_experts_capacity_add_nothing_first_choices_first_in_token_order",
    "checks/test_moe.py::test_a_token_every_expert_drops_outputs_zeros_so_only_the_residual_carries_it",
}
