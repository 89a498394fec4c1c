"""Lion that forgot the sign: it steps along the interpolated momentum itself, so step sizes follow the gradient's scale."""
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
                m = self.state[p].setdefault("exp_avg", torch.zeros_like(p))
                p.mul_(1 - lr * wd).sub_(lr * (b1 * m + (1 - b1) * p.grad))
                m.mul_(b2).add_(p.grad, alpha=1 - b2)


MUST_FAIL = {
    "checks/test_optimizers.py::test_lion_matches_the_sign_of_interpolated_momentum_update_step_for_step",
    "checks/test_optimizers.py::test_every_lion_step_moves_every_coordinate_by_exactly_lr",
}
