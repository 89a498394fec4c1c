"""The contract of the `quantization` component: symmetric absmax weight quantisation."""

from qbank.contract.model import component

COMPONENT = component(
    "quantization", "Weight-only quantisation (absmax int8 / int4)",
    "Store a weight as small integers and a floating scale: q = round(w / s), s = max|w| / (2^(bits−1) − 1), "
    "per tensor or per channel; w ≈ q · s.",
    ("quantize_absmax", "function", '''
def quantize_absmax(w: Tensor, bits: int = 8, axis: int | None = None) -> tuple[Tensor, Tensor]:
    """Symmetric absmax round-to-nearest quantisation of a float tensor w (any shape).

    qmax = 2^(bits − 1) − 1 (127 for int8, 7 for int4), bits in 2..8. The codes use the
    symmetric range −qmax..qmax: −2^(bits − 1) (−128, −8) is never produced, so q(−w) = −q(w)
    and both +max|w| and −max|w| are represented exactly.
    axis None: per tensor, one scale s = max|w| / qmax, returned 0-dim.
    axis = a: per channel along a, one scale per index of dimension a, taken over all the
        other dimensions (for an nn.Linear weight [D_out, D_in], axis=0 gives one scale per
        output row, as torch.quantize_per_channel's `axis`). The scale keeps w's number of
        dimensions, size 1 except along a, so that q * s broadcasts.
    q = round(w / s) (to the nearest integer), an int8 tensor of w's shape; s in w's dtype.
    A slice whose values are all 0 gets codes 0 (and any positive scale: never divide 0 by 0).
    returns (q, s)
    """
    raise NotImplementedError
'''),
    ("dequantize", "function", '''
def dequantize(q: Tensor, scale: Tensor) -> Tensor:
    """The float tensor the codes stand for: q · scale (broadcast), in scale's dtype.

    q: integer codes (int8), any shape   scale: 0-dim or broadcastable to q (quantize_absmax's s)
    """
    raise NotImplementedError
'''),
)
