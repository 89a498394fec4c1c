"""nn.Linear's habit carried over: the projections have biases unless told otherwise (default bias=True)."""

from solutions.gqa import GroupedQueryAttention as _Reference
from solutions.gqa import grouped_query_attention  # noqa: F401


class GroupedQueryAttention(_Reference):
    def __init__(self, d_model, n_heads, n_kv_heads, bias=True, rope_base=None):
        super().__init__(d_model, n_heads, n_kv_heads, bias=bias, rope_base=rope_base)


MUST_FAIL = {
    "checks/test_gqa.py::test_by_default_no_projection_has_a_bias_as_in_llama",
}
