"""Residual max(0, p - q) used as it is, without dividing by its sum: it is not a distribution."""

from solutions.speculative import acceptance_probability, speculative_sample  # noqa: F401


def residual_distribution(p, q):
    return (p - q).clamp(min=0)  # torch.multinomial would renormalise it silently; the exact output is wrong


MUST_FAIL = {
    "checks/test_speculative.py::test_with_a_greedy_target_a_draft_is_accepted_exactly_when_it_is_the_targets_argmax",
    "checks/test_speculative.py::test_a_rejected_position_is_resampled_from_the_normalised_excess_of_target_over_draft",
    "checks/test_speculative.py::test_one_speculative_step_outputs_each_token_with_exactly_the_target_probability",
    "checks/test_speculative.py::test_speculative_decoding_emits_sequences_with_exactly_the_target_models_probabilities",
}
