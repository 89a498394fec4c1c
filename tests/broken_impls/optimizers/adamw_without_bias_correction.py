"""AdamW without bias correction: the first steps are (1 - beta1) / sqrt(1 - beta2) ≈ 3.2 times too large."""
import torch

from solutions.optimizers import Lion, decay_param_groups  # noqa: F401


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["exp_avg"], state["exp_avg_sq"] = torch.zeros_like(p), torch.zeros_like(p)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                p.mul_(1 - lr * wd)
                m.mul_(b1).add_(p.grad, alpha=1 - b1)
                v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                p.sub_(lr * m / (v.sqrt() + eps))


MUST_FAIL = {
    "checks/test_optimizers.py::test_adamw_matches_torch_adamw_step_for_step",
    "checks/test_optimizers.py::test_adamw_first_step_moves_every_coordinate_by_lr_whatever_the_gradient_scale",
}
