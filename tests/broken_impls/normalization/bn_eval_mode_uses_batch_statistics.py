"""BatchNorm that normalises with the batch's statistics in eval mode too (the running ones are kept but never used)."""

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
        if self.training and N < 2:
            raise ValueError(f"BatchNorm in training mode needs N >= 2 rows, got N={N}")
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)  # whatever the mode
        if self.training:
            with torch.no_grad():
                m = self.momentum
                self.running_mean.mul_(1 - m).add_(m * mean)
                self.running_var.mul_(1 - m).add_(m * var * N / (N - 1))
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


MUST_FAIL = {
    "checks/test_normalization.py::test_batchnorm_in_eval_mode_folds_into_the_preceding_linear_layer",
    "checks/test_normalization.py::test_batchnorm_in_eval_mode_matches_torch_batchnorm1d",
    "checks/test_normalization.py::test_batchnorm_in_eval_mode_normalises_with_the_running_statistics",
    "checks/test_normalization.py::test_batchnorm_outputs_differ_between_training_and_eval_mode",
}
