"""The contract of the `attention` component: Scaled dot-product attention."""

from qbank.contract.model import component

COMPONENT = component(
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
)
