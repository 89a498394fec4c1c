"""RMSNorm: LayerNorm without the centring and without the bias (Zhang & Sennrich 2019).

    RMSNorm(x) = x / sqrt(mean(x²) + eps) * weight        (mean over the D features)

LayerNorm subtracts the mean, divides by the standard deviation, scales and shifts. RMSNorm
keeps only the rescaling: it divides each position's vector by its root mean square, so
the output has RMS 1 (before `weight`) whatever the input's scale, but its mean is left
where it was. Adding a constant to every feature therefore changes RMSNorm's output, while
LayerNorm ignores it; on a zero-mean row the two coincide. It has D parameters (weight,
starting at ones) where LayerNorm has 2D, and one reduction instead of two.

Precision: the mean of the squares is taken in at least float32. In float16, x² overflows
for |x| > 256 (the largest float16 is 65504), so LLaMA and nn.RMSNorm upcast first and cast
the result back to the input's dtype.

Shapes: x and y are [..., D]; leading dimensions pass through.
"""

import torch
from torch import Tensor, nn


# --8<-- [start:RMSNorm]
class RMSNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps  # inside the square root: a zero vector maps to zero, not NaN
        self.weight = nn.Parameter(torch.ones(d_model))  # gain g [D]; no bias

    def forward(self, x: Tensor) -> Tensor:
        """Each position divided by its root mean square, then scaled by weight."""
        wide = x.to(torch.promote_types(x.dtype, torch.float32))  # float16 -> float32, float64 stays
        mean_square = wide.pow(2).mean(dim=-1, keepdim=True)  # [..., 1], over the D features
        return (wide * torch.rsqrt(mean_square + self.eps)).to(x.dtype) * self.weight
# --8<-- [end:RMSNorm]
