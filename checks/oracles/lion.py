"""Lion's update (Chen et al. 2023, Algorithm 2), as a pure function on tensors.

The oracle the Lion checks compare `impl.Lion` with, written from the paper's pseudocode.
"""

import torch


def lion_update(p: torch.Tensor, g: torch.Tensor, m: torch.Tensor, lr: float, beta1: float, beta2: float,
                wd: float) -> tuple[torch.Tensor, torch.Tensor]:
    """One Lion step: returns (new p, new m)."""
    update = torch.sign(beta1 * m + (1 - beta1) * g)
    new_p = p - lr * (update + wd * p)
    new_m = beta2 * m + (1 - beta2) * g
    return new_p, new_m
