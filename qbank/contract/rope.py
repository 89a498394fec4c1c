"""The contract of the `rope` component: Rotary position embedding (RoPE)."""

from qbank.contract.model import component

COMPONENT = component(
    "rope", "Rotary position embedding (RoPE)",
    "Rotate each pair of query/key features by position × θ_i, θ_i = base^(−2i/Dk): q·k then "
    "depends on positions only through their offset. Two layouts of the pairs are in use.",
    ("rope_frequencies", "function", '''
def rope_frequencies(Dk: int, base: float = 10000.0) -> Tensor:
    """[Dk / 2] float64: θ_i = base^(-2i/Dk) for i = 0 .. Dk/2 - 1 (Dk even).

    Pair i of a query or key at position m is rotated by the angle m * θ_i: pair 0 turns
    one radian per position, the last pair almost not at all.
    """
    raise NotImplementedError
'''),
    ("apply_rope", "function", '''
def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0, scale: float = 1.0) -> Tensor:
    """RoPE in the "rotate_half" layout of Hugging Face LLaMA: pair i is the features
    (i, i + Dk/2). With a = x[..., i], b = x[..., i + Dk/2] and angle φ = m * scale * θ_i:
        out[..., i] = a cos φ - b sin φ,   out[..., i + Dk/2] = a sin φ + b cos φ.

    x: [..., T, Dk] (queries or keys, one head or many)
    positions: [T] (int or float), or broadcastable to x.shape[:-1]: the position m of each row
    scale: position interpolation; positions are multiplied by it (s = L / L' < 1 squeezes
           L' positions into the L the model was trained on). scale = 1: plain RoPE.
    returns [..., T, Dk], x's dtype. The angles may be computed in float32 (Hugging Face
    does): the checks allow for that rounding, and nothing coarser.
    """
    raise NotImplementedError
'''),
    ("apply_rope_interleaved", "function", '''
def apply_rope_interleaved(x: Tensor, positions: Tensor, base: float = 10000.0, scale: float = 1.0) -> Tensor:
    """RoPE in the interleaved layout of the RoFormer paper, GPT-J and Meta's original LLaMA
    code: pair i is the adjacent features (2i, 2i + 1). With a = x[..., 2i], b = x[..., 2i+1]:
        out[..., 2i] = a cos φ - b sin φ,   out[..., 2i + 1] = a sin φ + b cos φ,
    φ = m * scale * θ_i as in apply_rope. Same shapes and arguments as apply_rope.
    """
    raise NotImplementedError
'''),
    ("interleaved_to_halves", "function", '''
def interleaved_to_halves(x: Tensor) -> Tensor:
    """The permutation of the last axis that maps the interleaved layout onto the halves one:
    out[..., i] = x[..., 2i] and out[..., Dk/2 + i] = x[..., 2i + 1].  [..., Dk] -> [..., Dk]

    apply_rope(interleaved_to_halves(x), m) == interleaved_to_halves(apply_rope_interleaved(x, m)):
    a checkpoint trained with one layout runs in code of the other once the rows of W_Q
    and W_K are permuted this way.
    """
    raise NotImplementedError
'''),
)
