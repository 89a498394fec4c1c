"""The contract of the `encoder_layer` component: Encoder layer: residual connections and LayerNorm placement."""

from qbank.contract.model import component

COMPONENT = component(
    "encoder_layer", "Encoder layer: residual connections and LayerNorm placement",
    "Self-attention then the FFN, each in a residual connection with LayerNorm (post- or pre-norm).",
    ("EncoderLayer", "class", '''
class EncoderLayer(nn.Module):
    """One encoder layer, without dropout.

    post-norm (norm_first=False, the original Transformer):
        x = norm1(x + self_attn(x, x, x, mask));  x = norm2(x + ffn(x))
    pre-norm (norm_first=True):
        x = x + self_attn(n, n, n, mask) with n = norm1(x);  x = x + ffn(norm2(x))
    Attributes: self_attn (the contract's MultiHeadAttention), ffn (FeedForward),
    norm1, norm2 (LayerNorm), norm_first (bool).
    A layer with one placement declares it, norm_placements = ("pre",) or ("post",), and may
    drop norm_first; mask_format and mask_head_axis work as for MultiHeadAttention.
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, norm_first: bool = False):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """x: [B, T, D]   mask: bool, broadcastable to [B, T, T]; True = may attend.  returns [B, T, D]."""
        raise NotImplementedError
'''),
)
