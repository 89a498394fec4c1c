"""Lion that also stores its last update direction in the optimizer state, doubling the state it keeps."""
import torch

from solutions.optimizers import AdamW, decay_param_groups  # noqa: F401


class Lion(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, (b1, b2), wd = group["lr"], group["betas"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                m = state.setdefault("exp_avg", torch.zeros_like(p))
                state["update"] = (b1 * m + (1 - b1) * p.grad).sign()  # kept for logging
                p.mul_(1 - lr * wd).sub_(lr * state["update"])
                m.mul_(b2).add_(p.grad, alpha=1 - b2)


MUST_FAIL = {
    "checks/test_optimizers.py::test_lion_keeps_one_state_tensor_per_parameter_where_adamw_keeps_two",
}
