"""SwiGLU hidden width kept at the ReLU FFN's 4 * d_model, so the FFN grows by half."""

from solutions.swiglu import SwiGLU  # noqa: F401


def swiglu_hidden_width(d_model, multiple_of=256):
    return 4 * d_model  # the ReLU FFN's width, kept for three matrices instead of two


MUST_FAIL = {
    "checks/test_swiglu.py::test_llama_hidden_width_is_8_3_d_rounded_up_to_a_multiple_of_256_so_11008_at_d_4096",
    "checks/test_swiglu.py::test_at_llama_sizes_that_width_keeps_the_parameter_count_of_a_4d_relu_ffn",
}
