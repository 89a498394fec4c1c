"""LayerNorm that takes the mean and variance over the batch axis (dim 0) instead of the features."""

import torch
from torch import nn

from solutions.normalization import BatchNorm  # noqa: F401  (the component's other name, correct)


class LayerNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))
        self.bias = nn.Parameter(torch.zeros(d_model))

    def forward(self, x):
        mean = x.mean(dim=0, keepdim=True)  # over the batch, not over the D features
        var = x.var(dim=0, unbiased=False, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


MUST_FAIL = {
    "checks/test_normalization.py::test_layernorm_bounds_each_position_but_not_the_attention_logits_computed_from_it",
    "checks/test_normalization.py::test_layernorm_gives_each_position_mean_zero_and_variance_v_over_v_plus_eps",
    "checks/test_normalization.py::test_layernorm_is_rmsnorm_of_the_mean_centred_input",
    "checks/test_normalization.py::test_layernorm_is_the_same_in_training_and_in_eval_mode",
    "checks/test_normalization.py::test_layernorm_jacobian_has_no_block_between_different_positions",
    "checks/test_normalization.py::test_layernorm_matches_torch_layer_norm",
    "checks/test_normalization.py::test_layernorm_of_a_sample_does_not_depend_on_its_batch_mates_or_the_batch_size",
    "checks/test_normalization.py::test_qk_layernorm_bounds_every_attention_logit_by_sqrt_dk_however_large_w_q_and_w_k_grow",
    "checks/test_normalization.py::test_with_one_feature_layernorm_outputs_its_bias_whatever_the_input",
}
