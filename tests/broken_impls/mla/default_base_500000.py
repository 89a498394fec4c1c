"""LLaMA 3's RoPE base (500,000) taken as the default, where the contract's is 10,000."""

from solutions.mla import LatentKVCache, mla_decode_step  # noqa: F401  the rest of the component, correct
from solutions.mla import MultiHeadLatentAttention as _Reference


class MultiHeadLatentAttention(_Reference):
    def __init__(self, d_model, n_heads, d_latent, d_rope=0, rope_base=500000.0):
        super().__init__(d_model, n_heads, d_latent, d_rope=d_rope, rope_base=rope_base)


MUST_FAIL = {
    "checks/test_mla.py::test_mla_defaults_to_no_decoupled_rope_and_base_10000_and_runs_where_its_weights_live",
}
