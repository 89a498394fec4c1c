"""The contract of the `positional` component: Sinusoidal positional encoding."""

from qbank.contract.model import component

COMPONENT = component(
    "positional", "Sinusoidal positional encoding",
    "PE[t, 2i] = sin(t / 10000^(2i/D)), PE[t, 2i+1] = cos(t / 10000^(2i/D)).",
    ("sinusoidal_positions", "function", '''
def sinusoidal_positions(T: int, D: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """[T, D] table of the sinusoidal encoding for positions 0..T-1 (D even):
    PE[t, 2i] = sin(t * w_i), PE[t, 2i+1] = cos(t * w_i), with w_i = 10000^(-2i/D), i = 0..D/2-1.
    Returned in `dtype`, accurate to that dtype at every position: t * w_i reaches 1e6 radians,
    where a float32 angle is already off by ~0.03, so compute the angles in float64 and cast.
    """
    raise NotImplementedError
'''),
)
