"""LayerNorm that divides by the variance, forgetting the square root."""

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
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, unbiased=False, keepdim=True)
        return (x - mean) / (var + self.eps) * self.weight + self.bias  # no sqrt


MUST_FAIL = {
    "checks/test_architecture.py::test_with_tied_weights_a_small_embedding_init_gives_unit_scale_logits_and_the_default_init_sqrt_d",
    "checks/test_encoder_layer.py::test_a_layernorm_multiplies_the_gradient_norm_by_at_most_one_over_the_std_of_what_it_normalises",
    "checks/test_normalization.py::test_layernorm_bounds_each_position_but_not_the_attention_logits_computed_from_it",
    "checks/test_normalization.py::test_layernorm_gives_each_position_mean_zero_and_variance_v_over_v_plus_eps",
    "checks/test_normalization.py::test_layernorm_is_rmsnorm_of_the_mean_centred_input",
    "checks/test_normalization.py::test_layernorm_matches_torch_layer_norm",
    "checks/test_normalization.py::test_qk_layernorm_bounds_every_attention_logit_by_sqrt_dk_however_large_w_q_and_w_k_grow",
}
