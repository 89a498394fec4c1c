"""BatchNorm that keeps 1 - momentum of the new batch statistics (Keras' convention with PyTorch's 0.1)."""

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
        elif N < 2:
            raise ValueError(f"BatchNorm in training mode needs N >= 2 rows, got N={N}")
        else:
            mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
            with torch.no_grad():
                m = self.momentum  # running = m * running + (1 - m) * batch: the weights swapped
                self.running_mean.mul_(m).add_((1 - m) * mean)
                self.running_var.mul_(m).add_((1 - m) * var * N / (N - 1))
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


MUST_FAIL = {
    "checks/test_normalization.py::test_batchnorm_in_eval_mode_matches_torch_batchnorm1d",
    "checks/test_normalization.py::test_batchnorm_in_training_mode_matches_torch_batchnorm1d",
    "checks/test_normalization.py::test_batchnorm_running_statistics_are_momentum_averages_of_batch_mean_and_unbiased_variance",
}
