"""FFN with a ReLU after the second linear layer as well, so its output is never negative."""

import torch
import torch.nn.functional as F
from torch import nn


class FeedForward(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x):
        return torch.relu(self.linear2(torch.relu(self.linear1(x))))


MUST_FAIL = {
    "checks/test_feed_forward.py::test_a_unit_whose_input_is_always_negative_gets_no_gradient_while_an_active_unit_passes_it_unchanged",
    "checks/test_feed_forward.py::test_ffn_is_relu_of_x_w1_plus_b1_times_w2_plus_b2",
    "checks/test_feed_forward.py::test_ffn_jacobian_at_a_position_is_w2_times_the_relu_mask_times_w1",
    "checks/test_feed_forward.py::test_ffn_matches_the_feed_forward_block_of_torch_transformer_encoder_layer",
}
