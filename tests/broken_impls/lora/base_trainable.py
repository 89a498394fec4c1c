"""LoRA that forgets to freeze the wrapped layer, so the base weight trains too (full fine-tuning plus BA)."""

from solutions.lora import LoRALinear as _Correct


class LoRALinear(_Correct):
    def __init__(self, base, r, alpha):
        super().__init__(base, r, alpha)
        self.base.requires_grad_(True)  # "the optimizer only gets A and B anyway" -- it gets parameters()


MUST_FAIL = {
    "checks/test_lora.py::test_lora_trains_r_times_din_plus_dout_parameters",
    "checks/test_lora.py::test_a_512_by_512_layer_at_rank_8_trains_8192_numbers_instead_of_262656",
    "checks/test_lora.py::test_only_a_and_b_train_and_the_base_weight_and_bias_never_change",
    "checks/test_lora.py::test_after_training_the_lora_update_has_rank_at_most_r_while_full_fine_tuning_has_full_rank",
}
