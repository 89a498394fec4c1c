"""MoE layer that runs every expert on every token and multiplies by the (mostly zero) gates: right outputs, dense cost."""

from solutions.moe import MoELayer as _Layer
from solutions.moe import expert_capacity, load_balancing_loss, top_k_gates  # noqa: F401


class MoELayer(_Layer):
    def forward(self, x):
        gates = self.route(x)  # [N, E], zero off the top-k and past capacity
        return sum(gates[:, e, None] * expert(x) for e, expert in enumerate(self.experts))


MUST_FAIL = {
    "checks/test_moe.py::test_top_k_flops_per_token_do_not_grow_with_experts_apart_from_the_gate_but_the_dense_mixture_does",
}
