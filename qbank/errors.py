"""The one base class of the errors the `qbank` command reports as `qbank: error: ...`."""


class QbankError(Exception):
    """An expected failure with a message for the user (no traceback)."""
