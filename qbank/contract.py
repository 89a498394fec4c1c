'''The implementation contract: what an implementation under test must provide.

The checks in `checks/` never import `solutions/`; they ask the implementation under test
for these names (`pytest checks --impl FILE_OR_MODULE`). Any module that defines some of
them can be graded: the checks of a name it lacks are skipped, with a reason naming it.
This file is the one place the contract is written; the site's contract page, the
`qbank practice` starter files and the skip messages are all generated from it.

Conventions, the same in every component:

- Shapes use one set of letters: B batch, H heads, T query positions, S key/value
  positions (S = T in self-attention), D model width (d_model), Dk per-head query/key
  width, Dv value width, F the feed-forward hidden width. `...` is any number of leading
  batch-like dimensions, passed through untouched.
- Tensors are floating point of any dtype; the checks use float64 so that comparisons
  with PyTorch's own modules are exact to ~1e-12.
- A mask is boolean and **True means "may attend"**, as in
  `torch.nn.functional.scaled_dot_product_attention`. It broadcasts against the
  [..., T, S] scores. A tensor that is True at padding is called `is_pad`, never `mask`.
- A query whose mask row is all False attends to nothing: its weights are all zero and
  its output is the zero vector (what `F.scaled_dot_product_attention` returns), not NaN.
- Modules with weights are `torch.nn.Module`s whose projections are `torch.nn.Linear`
  layers under the names given, so the checks can read and set their weights.

Nothing here imports torch.
'''

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Name:
    name: str
    component: str
    kind: str  # "function" or "class"
    stub: str  # the signature and docstring a learner starts from

    @property
    def module(self) -> str:
        """Where the reference solution defines it."""
        return f"solutions.{self.component}"


@dataclass(frozen=True)
class Component:
    name: str
    title: str
    summary: str
    names: tuple[Name, ...]
    imports: str = "import torch\nfrom torch import Tensor, nn\n"


def _component(name: str, title: str, summary: str, *stubs: tuple[str, str, str]) -> Component:
    return Component(name, title, summary, tuple(Name(n, name, kind, stub.strip("\n") + "\n")
                                                 for n, kind, stub in stubs))


COMPONENTS: dict[str, Component] = {c.name: c for c in [
    _component(
        "attention", "Scaled dot-product attention",
        "softmax(Q Kᵀ / √Dk) V, and the weights on their own.",
        ("attention_weights", "function", '''
def attention_weights(q: Tensor, k: Tensor, mask: Tensor | None = None) -> Tensor:
    """Attention weights softmax(q kᵀ / √Dk), masked where `mask` is False.

    q: [..., T, Dk]   k: [..., S, Dk]   mask: bool, broadcastable to [..., T, S]
    returns [..., T, S]: row t is a probability distribution over the S keys
    (all zeros if mask row t is all False).
    """
    raise NotImplementedError
'''),
        ("scaled_dot_product_attention", "function", '''
def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """softmax(q kᵀ / √Dk) v: each output row is a weighted average of the rows of v.

    q: [..., T, Dk]   k: [..., S, Dk]   v: [..., S, Dv]
    mask: bool, broadcastable to [..., T, S]; True = may attend
    returns [..., T, Dv] (zeros for a query whose mask row is all False)
    """
    raise NotImplementedError
'''),
    ),
    _component(
        "masking", "Causal and padding masks",
        "Boolean masks, True = may attend, that broadcast against [B, T, S] scores.",
        ("causal_mask", "function", '''
def causal_mask(T: int) -> Tensor:
    """Bool [T, T]: entry [t, s] is True iff query t may attend to key s, i.e. s <= t."""
    raise NotImplementedError
'''),
        ("padding_mask", "function", '''
def padding_mask(is_pad: Tensor) -> Tensor:
    """Key-padding mask from `is_pad` (bool [B, S], True at padding tokens).

    returns bool [B, 1, S]: True where the key is a real token. It broadcasts over the
    T queries of [B, T, S] scores; combine with a causal mask by `&`.
    """
    raise NotImplementedError
'''),
    ),
    _component(
        "multi_head", "Multi-head attention",
        "Split D into H heads of Dk = D / H, attend in each, merge, project with W_O.",
        ("split_heads", "function", '''
def split_heads(x: Tensor, n_heads: int) -> Tensor:
    """[B, T, D] -> [B, H, T, Dk] with Dk = D / H; head h gets features h*Dk .. (h+1)*Dk - 1."""
    raise NotImplementedError
'''),
        ("merge_heads", "function", '''
def merge_heads(x: Tensor) -> Tensor:
    """[B, H, T, Dk] -> [B, T, H * Dk]: the inverse of split_heads (concatenate the heads)."""
    raise NotImplementedError
'''),
        ("MultiHeadAttention", "class", '''
class MultiHeadAttention(nn.Module):
    """MultiHead(Q, K, V) = Concat(head_1, ..., head_H) W_O,  head_h = Attention(Q W_Q^h, K W_K^h, V W_V^h).

    Attributes: q_proj, k_proj, v_proj, out_proj, each nn.Linear(d_model, d_model) with bias;
    the per-head projections W_Q^h are the column blocks of the fused q_proj.
    """

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        raise NotImplementedError

    def forward(self, query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None) -> Tensor:
        """query: [B, T, D]   key, value: [B, S, D]   mask: bool, broadcastable to [B, T, S]
        (the same for every head).  returns [B, T, D]."""
        raise NotImplementedError
'''),
    ),
    _component(
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
    ),
    _component(
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
    ),
    _component(
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
    ),
    _component(
        "positional", "Sinusoidal positional encoding",
        "PE[t, 2i] = sin(t / 10000^(2i/D)), PE[t, 2i+1] = cos(t / 10000^(2i/D)).",
        ("sinusoidal_positions", "function", '''
def sinusoidal_positions(T: int, D: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """[T, D] table of the sinusoidal encoding for positions 0..T-1 (D even):
    PE[t, 2i] = sin(t * w_i), PE[t, 2i+1] = cos(t * w_i), with w_i = 10000^(-2i/D), i = 0..D/2-1.
    """
    raise NotImplementedError
'''),
    ),
    _component(
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
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, norm_first: bool = False):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """x: [B, T, D]   mask: bool, broadcastable to [B, T, T]; True = may attend.  returns [B, T, D]."""
        raise NotImplementedError
'''),
    ),
]}

NAMES: dict[str, Name] = {n.name: n for c in COMPONENTS.values() for n in c.names}


def starter_file(component: str) -> str:
    """The text of a practice file for `component`: the contract's stubs, to fill in."""
    c = COMPONENTS[component]
    header = (f'"""{c.title}: your implementation.\n\n{c.summary}\n\n'
              f"Fill in every NotImplementedError, then run: qbank grade <this file>\n"
              f'Shapes: B batch, H heads, T queries, S keys, D d_model, Dk = D / H, F d_ff.\n"""\n\n')
    return header + c.imports + "\n\n" + "\n\n".join(n.stub for n in c.names)
