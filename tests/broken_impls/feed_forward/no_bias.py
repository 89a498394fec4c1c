"""FFN whose two linear layers have no bias."""

import torch
import torch.nn.functional as F
from torch import nn

from solutions.multi_head import MultiHeadAttention  # noqa: F401  (for the parameter-share checks)
from solutions.normalization import LayerNorm  # noqa: F401


class FeedForward(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff, bias=False)
        self.linear2 = nn.Linear(d_ff, d_model, bias=False)

    def forward(self, x):
        return self.linear2(torch.relu(self.linear1(x)))


MUST_FAIL = {
    "checks/test_feed_forward.py::test_a_unit_whose_input_is_always_negative_gets_no_gradient_while_an_active_unit_passes_it_unchanged",
    "checks/test_feed_forward.py::test_applying_the_second_linear_to_x_again_is_not_the_ffn",
    "checks/test_feed_forward.py::test_ffn_has_2_d_model_d_ff_plus_d_ff_plus_d_model_parameters",
    "checks/test_feed_forward.py::test_ffn_holds_half_of_a_decoder_layers_weight_matrices",
    "checks/test_feed_forward.py::test_ffn_holds_two_thirds_of_an_encoder_layers_weight_matrices",
    "checks/test_feed_forward.py::test_ffn_is_relu_of_x_w1_plus_b1_times_w2_plus_b2",
    "checks/test_feed_forward.py::test_ffn_jacobian_at_a_position_is_w2_times_the_relu_mask_times_w1",
    "checks/test_feed_forward.py::test_ffn_matches_the_feed_forward_block_of_torch_transformer_encoder_layer",
    "checks/test_feed_forward.py::test_ffn_of_the_base_model_has_2099712_parameters",
    "checks/test_feed_forward.py::test_ffns_hold_57_percent_of_the_base_models_layers_and_40_percent_with_the_embedding",
}
