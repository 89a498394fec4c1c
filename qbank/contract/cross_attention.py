"""The contract of the `cross_attention` component: Cross-attention (encoder-decoder attention)."""

from qbank.contract.model import component

COMPONENT = component(
    "cross_attention", "Cross-attention (encoder-decoder attention)",
    "Queries from the decoder, keys and values from the encoder output.",
    ("CrossAttention", "class", '''
class CrossAttention(nn.Module):
    """Multi-head attention whose queries come from the decoder states x and whose keys
    and values both come from the encoder output `memory`.

    Attributes: q_proj, k_proj, v_proj, out_proj, each nn.Linear(d_model, d_model) with bias.
    """

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: Tensor, memory: Tensor, mask: Tensor | None = None) -> Tensor:
        """x: [B, T, D] decoder states   memory: [B, S, D] encoder output
        mask: bool, broadcastable to [B, T, S] (e.g. the source padding mask).  returns [B, T, D]."""
        raise NotImplementedError
'''),
)
