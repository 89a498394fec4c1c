"""The SwiGLU feed-forward network of LLaMA-style models (Shazeer 2020, "GLU variants").

    FFN_SwiGLU(x) = W2 (silu(W1 x) ⊙ W3 x),      silu(z) = z · sigmoid(z)

The ReLU FFN has two matrices, D -> F -> D. SwiGLU has three: W1 (the gate) and W3 (the
"up" projection) both map D -> F, their outputs are multiplied element by element after
the gate goes through silu, and W2 maps F -> D. No biases (LLaMA drops them everywhere).
Like the ReLU FFN it acts on each position on its own.

Hidden width: with three D x F matrices instead of two, the same parameter budget needs
F = 2/3 of the ReLU FFN's 4 D, i.e. 8/3 D. LLaMA rounds that up to a multiple of 256
so the matrices tile well: 11008 at D = 4096 (3 · 4096 · 11008 is within 1 % of the
ReLU FFN's 2 · 4096 · 16384).

Shapes: x [..., T, D] -> [..., T, F] (gate and up) -> [..., T, D].
"""

import torch.nn.functional as F
from torch import Tensor, nn


# --8<-- [start:SwiGLU]
class SwiGLU(nn.Module):
    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        self.w1 = nn.Linear(d_model, d_ff, bias=False)  # gate: D -> F, goes through silu
        self.w3 = nn.Linear(d_model, d_ff, bias=False)  # up: D -> F, multiplied by the gate
        self.w2 = nn.Linear(d_ff, d_model, bias=False)  # down: F -> D

    def forward(self, x: Tensor) -> Tensor:
        gated = F.silu(self.w1(x)) * self.w3(x)  # [..., T, F], element-wise product
        return self.w2(gated)  # [..., T, F] @ [F, D] -> [..., T, D]
# --8<-- [end:SwiGLU]


# --8<-- [start:swiglu_hidden_width]
def swiglu_hidden_width(d_model: int, multiple_of: int = 256) -> int:
    """2/3 of the ReLU FFN's 4 * d_model, truncated, then rounded up to a multiple of `multiple_of`."""
    hidden = int(2 * (4 * d_model) / 3)  # 3 matrices at this width ~ 2 matrices at 4 D
    return multiple_of * -(-hidden // multiple_of)  # ceil to a multiple: 10922 -> 11008 at D = 4096
# --8<-- [end:swiglu_hidden_width]
