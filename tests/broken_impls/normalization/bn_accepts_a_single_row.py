"""BatchNorm that normalises a batch of one row in training mode instead of refusing it."""

import torch
from torch import nn

from solutions.normalization import LayerNorm  # noqa: F401  (the component's other name, correct)


class BatchNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(d_model))
        self.bias = nn.Parameter(torch.zeros(d_model))
        self.register_buffer("running_mean", torch.zeros(d_model))
        self.register_buffer("running_var", torch.ones(d_model))

    def forward(self, x):
        N = x.size(0)
        if not self.training:
            mean, var = self.running_mean, self.running_var
        else:  # no check for N = 1: x - mean is 0 and the row is erased
            mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
            with torch.no_grad():
                m = self.momentum
                self.running_mean.mul_(1 - m).add_(m * mean)
                self.running_var.mul_(1 - m).add_(m * var * N / max(N - 1, 1))
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


MUST_FAIL = {
    "checks/test_normalization.py::test_batchnorm_refuses_a_batch_of_one_in_training_mode",
}
