"""AdamW and Lion written out, and the parameter groups AdamW's weight decay is usually given.

AdamW: Adam's update m̂ / (sqrt(v̂) + eps) with bias-corrected moments, and weight decay applied
to the weights themselves (p *= 1 - lr * wd) instead of being added to the gradient, where
Adam's normalisation would rescale it (that would be L2 regularisation, not weight decay).
State: two tensors per parameter (m, v), 8 bytes per float32 parameter.

Lion: the sign of an interpolation between momentum and gradient, so every coordinate moves by
exactly lr; one momentum buffer, 4 bytes per float32 parameter (half of AdamW's state).

Weight decay goes on the weight matrices of the linear layers only: not on biases,
normalisation gains or embeddings (minGPT's rule).
"""

import torch
from torch import nn


# --8<-- [start:AdamW]
class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in (p for p in group["params"] if p.grad is not None):
                state = self.state[p]
                if not state:
                    state.update(step=0, exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
                state["step"] += 1
                t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
                p.mul_(1 - lr * wd)                                  # decoupled decay
                m.mul_(b1).add_(p.grad, alpha=1 - b1)
                v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)  # undo the zero start
                p.sub_(lr * m_hat / (v_hat.sqrt() + eps))
# --8<-- [end:AdamW]


# --8<-- [start:Lion]
class Lion(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, (b1, b2), wd = group["lr"], group["betas"], group["weight_decay"]
            for p in (p for p in group["params"] if p.grad is not None):
                m = self.state[p].setdefault("exp_avg", torch.zeros_like(p))  # the only state
                direction = (b1 * m + (1 - b1) * p.grad).sign()
                p.mul_(1 - lr * wd).sub_(lr * direction)
                m.mul_(b2).add_(p.grad, alpha=1 - b2)
# --8<-- [end:Lion]


# --8<-- [start:decay_param_groups]
def decay_param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    decayed = {id(m.weight): m.weight for m in model.modules()
               if isinstance(m, nn.Linear) and id(m.weight) not in embeddings}
    rest = [p for p in model.parameters() if id(p) not in decayed]  # parameters() lists a shared one once
    return [{"params": list(decayed.values()), "weight_decay": weight_decay},
            {"params": rest, "weight_decay": 0.0}]
# --8<-- [end:decay_param_groups]
