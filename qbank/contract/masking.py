"""The contract of the `masking` component: Causal and padding masks."""

from qbank.contract.model import component

COMPONENT = component(
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
)
