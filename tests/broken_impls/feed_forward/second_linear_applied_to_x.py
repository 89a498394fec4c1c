"""FFN that applies the second linear layer to x again, discarding ReLU(linear1(x)) (the seed's 001-14 reading)."""

import torch
import torch.nn.functional as F
from torch import nn


class FeedForward(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x):
        hidden = torch.relu(self.linear1(x))  # computed, then not used
        return self.linear2(x)


MUST_FAIL = {
    "checks/test_feed_forward.py::test_applying_the_second_linear_to_x_again_is_not_the_ffn",
    "checks/test_feed_forward.py::test_ffn_is_relu_of_x_w1_plus_b1_times_w2_plus_b2",
}
