"""LayerNorm and BatchNorm: one formula, normalised over different axes.

    y = (x - mean) / sqrt(var + eps) * weight + bias

LayerNorm takes the mean and the variance over the D features of one position (the last
axis of [..., D]): every position is normalised on its own, the same way in training and
at inference. BatchNorm takes them over the N rows of a batch, feature by feature (the
first axis of [N, D]): a row's output depends on the other rows, so at inference it uses
running averages collected in training instead.

Both normalise with the biased variance (divide by D, or by N). BatchNorm updates its
running variance with the unbiased one (divide by N - 1), as torch's BatchNorm1d does,
and therefore needs N >= 2 rows in training mode. weight (gamma) starts at ones and
bias (beta) at zeros, so a fresh layer outputs the plain normalised x.
"""

import torch
from torch import Tensor, nn


# --8<-- [start:LayerNorm]
class LayerNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))  # gamma [D]
        self.bias = nn.Parameter(torch.zeros(d_model))  # beta [D]

    def forward(self, x: Tensor) -> Tensor:
        """Before weight and bias, each position has mean 0 and variance v / (v + eps)."""
        mean = x.mean(dim=-1, keepdim=True)  # [..., 1]
        var = x.var(dim=-1, unbiased=False, keepdim=True)  # [..., 1], biased: / D
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias
# --8<-- [end:LayerNorm]


# --8<-- [start:BatchNorm]
class BatchNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(d_model))  # gamma [D]
        self.bias = nn.Parameter(torch.zeros(d_model))  # beta [D]
        self.register_buffer("running_mean", torch.zeros(d_model))  # [D]
        self.register_buffer("running_var", torch.ones(d_model))  # [D]

    def forward(self, x: Tensor) -> Tensor:
        """Training: this batch's statistics (and update the running ones). Eval: the running ones."""
        if x.dim() != 2:
            raise ValueError(f"BatchNorm expects [N, D], got shape {tuple(x.shape)}: "
                             "flatten [B, T, D] to [B*T, D] first")
        N = x.size(0)
        if not self.training:
            mean, var = self.running_mean, self.running_var
        elif N < 2:  # one row: x - mean = 0 and var = 0, the input would be erased
            raise ValueError(f"BatchNorm in training mode needs N >= 2 rows, got N={N}")
        else:
            mean = x.mean(dim=0)  # [D]
            var = x.var(dim=0, unbiased=False)  # [D], biased: / N
            with torch.no_grad():  # the running statistics are averages, not trained weights
                m = self.momentum
                self.running_mean.mul_(1 - m).add_(m * mean)
                self.running_var.mul_(1 - m).add_(m * var * N / (N - 1))  # unbiased: / (N - 1)
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias
# --8<-- [end:BatchNorm]
