"""The position-wise feed-forward network (FFN) of a Transformer layer.

    FFN(x) = max(0, x W1 + b1) W2 + b2

W1 is D x F and W2 is F x D, with F = d_ff, usually 4 D (2048 for D = 512), so the layer
holds 2 D F + F + D parameters. The same two layers are applied to every position on
its own: nothing here mixes positions, so FFN(X)[t] depends on X[t] only. Tokens
exchange information in attention; the FFN transforms each token's features.

Shapes: [..., T, D] -> [..., T, F] -> [..., T, D]; leading dimensions pass through.
The output has width D again, so the residual x + FFN(x) adds up.
"""

import torch
from torch import Tensor, nn


# --8<-- [start:FeedForward]
class FeedForward(nn.Module):
    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)  # W1, b1: expand D -> F
        self.linear2 = nn.Linear(d_ff, d_model)  # W2, b2: back to D

    def forward(self, x: Tensor) -> Tensor:
        hidden = torch.relu(self.linear1(x))  # [..., T, F], the only non-linearity
        return self.linear2(hidden)  # [..., T, F] @ [F, D] -> [..., T, D]
# --8<-- [end:FeedForward]
