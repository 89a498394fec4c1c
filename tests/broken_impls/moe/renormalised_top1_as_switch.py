"""Switch gating written as a softmax over the top-k logits: with k = 1 the gate is always 1 and the router never learns."""

import torch
from torch import nn

from solutions.moe import MoELayer as _Layer
from solutions.moe import expert_capacity, load_balancing_loss  # noqa: F401


def top_k_gates(logits, k, renormalize):
    top = logits.topk(k, dim=-1)
    return torch.zeros_like(logits).scatter(-1, top.indices, top.values.softmax(-1))  # "Switch = top-1 of this"


class MoELayer(_Layer):  # the reference layer, routing with the gates above
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
    "checks/test_moe.py::test_switch_gate_keeps_the_softmax_over_all_experts_at_the_top_k_without_renormalising",
    "checks/test_moe.py::test_gates_pick_exactly_k_experts_renormalised_rows_sum_to_one_and_switch_rows_to_less",
    "checks/test_moe.py::test_renormalised_top_1_gives_the_router_no_gradient_while_switch_gating_does",
    "checks/test_moe.py::test_moe_output_is_the_gate_weighted_sum_of_the_top_k_experts_outputs",
    "checks/test_moe.py::test_top_1_routing_collapses_during_training_without_the_balancing_loss_and_stays_balanced_with_it",
    "checks/test_moe.py::test_assignments_past_an_experts_capacity_add_nothing_first_choices_first_in_token_order",
}
