"""MoE layer whose router is nn.Linear(D, E) with its default bias."""

from torch import nn

from solutions.moe import MoELayer as _Layer
from solutions.moe import expert_capacity, load_balancing_loss, top_k_gates  # noqa: F401


class MoELayer(_Layer):
    def __init__(self, d_model, d_ff, n_experts, k, renormalize=True, capacity_factor=None):
        super().__init__(d_model, d_ff, n_experts, k, renormalize, capacity_factor)
        self.router = nn.Linear(d_model, n_experts)  # bias=True by default


MUST_FAIL = {
    "checks/test_moe.py::test_moe_parameters_grow_linearly_with_the_number_of_experts",
    "checks/test_moe.py::test_moe_output_is_the_gate_weighted_sum_of_the_top_k_experts_outputs",
    "checks/test_moe.py::test_assignments_past_an_experts_capacity_add_nothing_first_choices_first_in_token_order",
}
