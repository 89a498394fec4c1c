"""BatchNorm that normalises each row over its features (a LayerNorm) instead of each feature over the batch."""

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
        if not self.training:
            mean, var = self.running_mean, self.running_var
        else:
            mean = x.mean(dim=-1, keepdim=True)  # over the D features of each row
            var = x.var(dim=-1, unbiased=False, keepdim=True)
            with torch.no_grad():
                m = self.momentum
                self.running_mean.mul_(1 - m).add_(m * x.mean(dim=0))
                self.running_var.mul_(1 - m).add_(m * x.var(dim=0))
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


MUST_FAIL = {
    "checks/test_normalization.py::test_batchnorm_in_training_mode_gives_each_feature_mean_zero_and_variance_v_over_v_plus_eps",
    "checks/test_normalization.py::test_batchnorm_in_training_mode_matches_torch_batchnorm1d",
    "checks/test_normalization.py::test_batchnorm_output_for_sample_0_changes_when_its_batch_mates_change",
    "checks/test_normalization.py::test_batchnorm_output_of_a_sample_is_noisier_the_smaller_the_batch",
    "checks/test_normalization.py::test_padding_another_sentence_changes_batchnorm_outputs_of_real_tokens_but_not_layernorm_outputs",
    "checks/test_normalization.py::test_with_a_batch_of_two_batchnorm_keeps_little_more_than_which_row_is_larger",
}
