"""The contract of the `softmax` component: numerically stable and online (tiled) softmax."""

from qbank.contract.model import component

COMPONENT = component(
    "softmax", "Stable softmax, log-sum-exp and the online (tiled) softmax",
    "Subtract the maximum before exp so nothing overflows; merge per-block (max, sum, weighted sum) "
    "states to get exact attention one key block at a time, as FlashAttention does.",
    ("softmax", "function", '''
def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim`, computed without overflow for any finite x in any float
    dtype: subtract the maximum first (exp(x - max) <= 1). float16 exp overflows above
    log(65504) ~ 11.09, float32 above ~88.7. Returns x's dtype and shape.
    A slice that is all -inf has no distribution: NaN there, as torch.softmax gives.
    """
    raise NotImplementedError
'''),
    ("logsumexp", "function", '''
def logsumexp(x: Tensor, dim: int = -1) -> Tensor:
    """log(sum(exp(x))) along `dim` (removed), without overflow: m + log(sum(exp(x - m))),
    m the maximum. A slice that is all -inf gives -inf, not NaN (as torch.logsumexp).
    """
    raise NotImplementedError
'''),
    ("attention_block", "function", '''
def attention_block(q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The softmax state of attention over ONE block of keys: s = q kᵀ / √Dk, then
        m   = max_j s[..., j]            [..., T, 1]   (the block's row maximum)
        l   = sum_j exp(s - m)           [..., T, 1]
        acc = sum_j exp(s - m) v[..., j] [..., T, Dv]
    q: [..., T, Dk]   k: [..., S_b, Dk]   v: [..., S_b, Dv]  (S_b >= 1 keys in the block)
    acc / l is attention over this block alone; m + log(l) its log-sum-exp.
    """
    raise NotImplementedError
'''),
    ("merge_blocks", "function", '''
def merge_blocks(a: tuple[Tensor, Tensor, Tensor], b: tuple[Tensor, Tensor, Tensor]) -> tuple[Tensor, Tensor, Tensor]:
    """Merge the states (m, l, acc) of two disjoint blocks of keys into the state of their union:
        m = max(m_a, m_b),  l = l_a e^(m_a - m) + l_b e^(m_b - m),  acc = acc_a e^(m_a - m) + acc_b e^(m_b - m).
    Exact, associative and commutative: merging the blocks of any split of the keys, in any
    order, gives acc / l = softmax(q kᵀ / √Dk) v over all of them.
    """
    raise NotImplementedError
'''),
    ("tiled_attention", "function", '''
def tiled_attention(q: Tensor, k: Tensor, v: Tensor, block_size: int) -> Tensor:
    """softmax(q kᵀ / √Dk) v computed one block of `block_size` keys at a time (the last block
    may be shorter) with a running state (attention_block, merge_blocks), as FlashAttention's
    forward does. No tensor of size T x S exists at any time: the largest is [..., T, block_size].
    q: [..., T, Dk]   k: [..., S, Dk]   v: [..., S, Dv]   returns [..., T, Dv]. No mask.
    """
    raise NotImplementedError
'''),
)
