"""Switch load-balancing loss with the mean probability in both factors (E * sum P_i^2) instead of the routed fraction f_i."""

from solutions.moe import MoELayer, expert_capacity, top_k_gates  # noqa: F401


def load_balancing_loss(logits):
    P = logits.softmax(-1).mean(0)
    return logits.size(-1) * (P * P).sum()  # f_i replaced by P_i "to make it differentiable"


MUST_FAIL = {
    "checks/test_moe.py::test_load_balancing_loss_is_e_times_token_fractions_times_mean_probabilities",
    "checks/test_moe.py::test_load_balancing_loss_is_one_whenever_tokens_are_spread_evenly",
}
