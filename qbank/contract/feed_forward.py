"""The contract of the `feed_forward` component: Position-wise feed-forward network."""

from qbank.contract.model import component

COMPONENT = component(
    "feed_forward", "Position-wise feed-forward network",
    "FFN(x) = max(0, x W1 + b1) W2 + b2, applied to every position alike.",
    ("FeedForward", "class", '''
class FeedForward(nn.Module):
    """FFN(x) = max(0, x W1 + b1) W2 + b2, applied to each position on its own.

    Attributes: linear1 = nn.Linear(d_model, d_ff), linear2 = nn.Linear(d_ff, d_model).
    """

    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """x: [..., T, D] -> [..., T, D]"""
        raise NotImplementedError
'''),
)
