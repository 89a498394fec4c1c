"""MoE layer that adds the chosen experts' outputs without multiplying them by their gate weights."""

import torch

from solutions.moe import MoELayer as _Layer
from solutions.moe import expert_capacity, load_balancing_loss, top_k_gates  # noqa: F401


class MoELayer(_Layer):
    def forward(self, x):
        gates = self.route(x)
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            rows = gates[:, e].nonzero().squeeze(-1)
            if len(rows):
                out.index_add_(0, rows, expert(x[rows]))  # the gate weight is missing
        return out


MUST_FAIL = {
    "checks/test_moe.py::test_moe_output_is_the_gate_weighted_sum_of_the_top_k_experts_outputs",
    "checks/test_moe.py::test_top_k_moe_with_k_equal_to_e_is_the_dense_soft_mixture_over_all_experts",
    "checks/test_moe.py::test_renormalised_top_1_gives_the_router_no_gradient_while_switch_gating_does",
    "checks/test_moe.py::test_assignments_past_an_experts_capacity_add_nothing_first_choices_first_in_token_order",
}
