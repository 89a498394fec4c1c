"""The contract of the `lora` component: Low-rank adaptation (LoRA)."""

from qbank.contract.model import component

COMPONENT = component(
    "lora", "Low-rank adaptation (LoRA)",
    "Freeze a pre-trained nn.Linear and train only a rank-r update (alpha / r) B A, which merges into W.",
    ("LoRALinear", "class", '''
class LoRALinear(nn.Module):
    """y = base(x) + (alpha / r) · x Aᵀ Bᵀ, i.e. the weight W + (alpha / r) B A.

    base: the pre-trained nn.Linear(D_in, D_out), kept as `self.base` and frozen (its weight and
    bias have requires_grad False). A: nn.Parameter [r, D_in], random (e.g. N(0, 1/r));
    B: nn.Parameter [D_out, r], zeros, so the layer starts equal to `base`. scale = alpha / r.
    A and B take base's dtype and device. Only A and B are trainable: r (D_in + D_out) numbers.
    """

    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """x: [..., D_in] -> [..., D_out]"""
        raise NotImplementedError

    def merged(self) -> nn.Linear:
        """A new nn.Linear whose weight is W + (alpha / r) B A (and base's bias): the same
        outputs as this layer, at the cost of the base layer alone."""
        raise NotImplementedError
'''),
)
