"""The contract of the `rms_norm` component: RMSNorm."""

from qbank.contract.model import component

COMPONENT = component(
    "rms_norm", "RMSNorm",
    "x / √(mean(x²) + ε) · weight over the last axis: LayerNorm without the centring and without the bias.",
    ("RMSNorm", "class", '''
class RMSNorm(nn.Module):
    """y = x / sqrt(mean(x²) + eps) * weight, with the mean of the squares taken over the
    last dimension (the D features of one position). No mean is subtracted and there is
    no bias: D parameters, against LayerNorm's 2D.

    Compute the mean square in at least float32 (in float32 for float16/bfloat16 input,
    in float64 for float64 input) and return the input's dtype: x² overflows float16 for
    |x| > 256. This is what nn.RMSNorm and LLaMA's RMSNorm do.
    Attributes: weight (nn.Parameter [D], init ones); eps (float, LLaMA's default 1e-6).
    """

    def __init__(self, d_model: int, eps: float = 1e-6):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """x: [..., D] -> [..., D]"""
        raise NotImplementedError
'''),
)
