"""Expected failures whose text is meant for the user."""


class UserError(Exception):
    """A failure the user can fix. Its message is short Simplified Chinese, shown as is."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class NotAllowed(UserError):
    """The sender may not do this (wrong grid or role)."""


class NotFound(UserError):
    """A ticket, grid or person named in the message does not exist."""
