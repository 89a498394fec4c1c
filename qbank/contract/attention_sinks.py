"""The contract of the `attention_sinks` component: StreamingLLM's sink + window mask, softmax₁."""

from qbank.contract.model import component

COMPONENT = component(
    "attention_sinks", "Attention sinks (StreamingLLM) and the off-by-one softmax",
    "Softmax weights sum to 1, so a query must put its mass somewhere: keep the first `sinks` "
    "positions beside a sliding window, or add a zero logit (softmax₁) so a query may attend to nothing.",
    ("sink_window_mask", "function", '''
def sink_window_mask(T: int, sinks: int, window: int) -> Tensor:
    """Bool [T, T], True = may attend: query t may read key s iff s <= t and either s < sinks
    (one of the first `sinks` positions, the attention sinks) or t - window < s (the last
    `window` positions, itself included, as in kv_cache.sliding_window_mask).
    With sinks = 0 it is the sliding-window mask; with window >= T the causal mask."""
    raise NotImplementedError
'''),
    ("softmax_off_by_one", "function", '''
def softmax_off_by_one(x: Tensor, dim: int = -1) -> Tensor:
    """softmax₁: exp(x_i) / (1 + sum_j exp(x_j)) along `dim`, i.e. the softmax over x with one
    more logit equal to 0, that extra weight dropped. The weights sum to less than 1 and tend to
    0 when every x_j tends to -inf. Must stay finite for any finite x (|x| up to 1e4)."""
    raise NotImplementedError
'''),
)
