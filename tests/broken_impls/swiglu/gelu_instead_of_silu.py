"""SwiGLU with GELU on the gate (that is GEGLU, another GLU variant), not SiLU."""

import torch.nn.functional as F
from torch import nn

from solutions.swiglu import swiglu_hidden_width  # noqa: F401


class SwiGLU(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.w1 = nn.Linear(d_model, d_ff, bias=False)
        self.w3 = nn.Linear(d_model, d_ff, bias=False)
        self.w2 = nn.Linear(d_ff, d_model, bias=False)

    def forward(self, x):
        return self.w2(F.gelu(self.w1(x)) * self.w3(x))


MUST_FAIL = {
    "checks/test_swiglu.py::test_swiglu_is_w2_of_silu_of_w1x_times_w3x",
}
