"""FFN whose hidden layer is always 4 * d_model wide, ignoring the d_ff argument."""

import torch
import torch.nn.functional as F
from torch import nn


class FeedForward(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.linear1 = nn.Linear(d_model, 4 * d_model)  # the paper's ratio, hard-coded
        self.linear2 = nn.Linear(4 * d_model, d_model)

    def forward(self, x):
        return self.linear2(torch.relu(self.linear1(x)))


MUST_FAIL = {
    "checks/test_feed_forward.py::test_applying_the_second_linear_to_x_again_is_not_the_ffn",
    "checks/test_feed_forward.py::test_ffn_has_2_d_model_d_ff_plus_d_ff_plus_d_model_parameters",
    "checks/test_feed_forward.py::test_ffn_maps_d_model_to_d_ff_and_back_to_d_model",
    "checks/test_feed_forward.py::test_ffn_matches_the_feed_forward_block_of_torch_transformer_encoder_layer",
}
