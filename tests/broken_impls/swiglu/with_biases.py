"""SwiGLU built from nn.Linear's default, with biases, as the ReLU FFN has them."""

import torch.nn.functional as F
from torch import nn

from solutions.swiglu import swiglu_hidden_width  # noqa: F401


class SwiGLU(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.w1 = nn.Linear(d_model, d_ff)  # bias=True by default; LLaMA has none
        self.w3 = nn.Linear(d_model, d_ff)
        self.w2 = nn.Linear(d_ff, d_model)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


MUST_FAIL = {
    "checks/test_swiglu.py::test_swiglu_is_w2_of_silu_of_w1x_times_w3x",
    "checks/test_swiglu.py::test_swiglu_has_three_bias_free_d_by_f_matrices_so_3_d_f_parameters",
    "checks/test_swiglu.py::test_swiglu_output_is_linear_in_the_up_projection_so_a_zero_up_projection_gives_zero",
}
