"""Low-rank adaptation (LoRA, Hu et al. 2021) of a frozen nn.Linear.

    y = W x + b + (alpha / r) B A x,    A: [r, D_in],  B: [D_out, r]

W and b stay frozen; only A and B train, r (D_in + D_out) numbers instead of D_in D_out
(8,192 instead of 262,144 for a 512 x 512 weight at r = 8). B starts at zero, so the adapted
layer starts exactly equal to the pre-trained one, and the update (alpha / r) B A has rank at
most r however long it trains. Dividing by r keeps the update's size comparable across ranks
for a fixed alpha. After training, W + (alpha / r) B A is one plain matrix: merging costs
nothing at inference.
"""

import torch
from torch import Tensor, nn


# --8<-- [start:LoRALinear]
class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        self.base = base.requires_grad_(False)  # W [D_out, D_in] and b: frozen
        self.scale = alpha / r
        like = dict(dtype=base.weight.dtype, device=base.weight.device)
        self.A = nn.Parameter(torch.randn(r, base.in_features, **like) / r ** 0.5)  # [r, D_in]
        self.B = nn.Parameter(torch.zeros(base.out_features, r, **like))  # [D_out, r]: update 0 at start

    def forward(self, x: Tensor) -> Tensor:
        return self.base(x) + self.scale * (x @ self.A.T @ self.B.T)  # [..., D_in] -> [..., D_out]

    def merged(self) -> nn.Linear:
        out = nn.Linear(self.base.in_features, self.base.out_features, bias=self.base.bias is not None,
                        dtype=self.base.weight.dtype, device=self.base.weight.device)
        with torch.no_grad():
            out.weight.copy_(self.base.weight + self.scale * self.B @ self.A)  # W + (alpha / r) B A
            if self.base.bias is not None:
                out.bias.copy_(self.base.bias)
        return out
# --8<-- [end:LoRALinear]
