""""AdamW" that adds weight_decay * p to the gradient (Adam with L2), so the decay goes through m / sqrt(v)."""
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
                    state.update(step=0, exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
                state["step"] += 1
                t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
                g = p.grad + wd * p  # weight decay as an L2 term in the gradient
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                p.sub_(lr * (m / (1 - b1 ** t)) / ((v / (1 - b2 ** t)).sqrt() + eps))


MUST_FAIL = {
    "checks/test_optimizers.py::test_adamw_matches_torch_adamw_step_for_step",
    "checks/test_optimizers.py::test_adamw_with_zero_gradient_shrinks_weights_by_exactly_lr_times_weight_decay",
}
