"""LayerNorm whose γ and β are fixed buffers, not learnable parameters."""

import torch
from torch import nn

from solutions.feed_forward import FeedForward  # noqa: F401  (for the parameter-share checks)
from solutions.multi_head import MultiHeadAttention  # noqa: F401
from solutions.normalization import BatchNorm  # noqa: F401  (the component's other name, correct)


class LayerNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", torch.ones(d_model))  # never trained
        self.register_buffer("bias", torch.zeros(d_model))

    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, unbiased=False, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


MUST_FAIL = {
    "checks/test_feed_forward.py::test_ffn_holds_half_of_a_decoder_layers_weight_matrices",
    "checks/test_feed_forward.py::test_ffn_holds_two_thirds_of_an_encoder_layers_weight_matrices",
    "checks/test_normalization.py::test_layernorm_weight_starts_at_ones_bias_at_zeros_and_eps_is_1e_minus_5",
}
