"""Lion that updates the momentum first and steps along its sign (signSGD with momentum), one beta for both."""
import torch

from solutions.optimizers import AdamW, decay_param_groups  # noqa: F401


class Lion(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, (b1, _), wd = group["lr"], group["betas"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                m = self.state[p].setdefault("exp_avg", torch.zeros_like(p))
                m.mul_(b1).add_(p.grad, alpha=1 - b1)
                p.mul_(1 - lr * wd).sub_(lr * m.sign())


MUST_FAIL = {
    "checks/test_optimizers.py::test_lion_matches_the_sign_of_interpolated_momentum_update_step_for_step",
}
