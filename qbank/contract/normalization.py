"""The contract of the `normalization` component: LayerNorm and BatchNorm."""

from qbank.contract.model import component

COMPONENT = component(
    "normalization", "LayerNorm and BatchNorm",
    "LayerNorm normalises each position over its features; BatchNorm each feature over the batch.",
    ("LayerNorm", "class", '''
class LayerNorm(nn.Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, with the mean and the biased
    variance taken over the last dimension (the D features of one position).

    Attributes: weight (init ones) and bias (init zeros), nn.Parameter of shape [D]; eps.
    """

    def __init__(self, d_model: int, eps: float = 1e-5):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """x: [..., D] -> [..., D]"""
        raise NotImplementedError
'''),
    ("BatchNorm", "class", '''
class BatchNorm(nn.Module):
    """Normalises each of the D features over the N rows of the batch.

    Training mode: y = (x - mean_N) / sqrt(var_N + eps) * weight + bias with the batch's
    mean and biased variance, and updates running_mean / running_var (unbiased) with
    `momentum`. Eval mode: the same formula with the running statistics instead.
    Training mode needs N >= 2 and raises ValueError for N = 1, as nn.BatchNorm1d does:
    one row has zero batch variance (normalising would erase it) and no unbiased variance.
    Attributes: weight, bias (nn.Parameter [D]); running_mean, running_var (buffers [D]).
    """

    def __init__(self, d_model: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """x: [N, D] -> [N, D] (flatten [B, T, D] to [B*T, D] first)"""
        raise NotImplementedError
'''),
)
