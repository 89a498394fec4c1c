"""The contract of the `swiglu` component: the SwiGLU feed-forward network."""

from qbank.contract.model import component

COMPONENT = component(
    "swiglu", "SwiGLU feed-forward network",
    "FFN(x) = W2 (silu(W1 x) ⊙ W3 x), three bias-free matrices, applied to every position alike.",
    ("SwiGLU", "class", '''
class SwiGLU(nn.Module):
    """FFN(x) = w2(silu(w1(x)) * w3(x)), applied to each position on its own.

    w1 is the gate (its output goes through silu(z) = z * sigmoid(z)), w3 the "up"
    projection it multiplies element-wise, w2 the "down" projection back to D.
    Attributes: w1 = nn.Linear(d_model, d_ff, bias=False), w3 = nn.Linear(d_model, d_ff, bias=False),
    w2 = nn.Linear(d_ff, d_model, bias=False). (LLaMA's names; Hugging Face calls them
    gate_proj, up_proj and down_proj.)
    """

    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """x: [..., T, D] -> [..., T, D]"""
        raise NotImplementedError
'''),
    ("swiglu_hidden_width", "function", '''
def swiglu_hidden_width(d_model: int, multiple_of: int = 256) -> int:
    """LLaMA's hidden width F for a SwiGLU FFN: take the ReLU FFN's 4 * d_model, keep
    2/3 of it (three matrices instead of two: 3 D F = 2 D (4 D)), truncate to an integer,
    then round up to a multiple of `multiple_of`. 11008 for d_model = 4096.
    """
    raise NotImplementedError
'''),
)
