"""The one exception a pure stage raises for input it cannot accept."""

from __future__ import annotations

from schemas.rejection import ReasonCode


class StageError(Exception):
    """Input rejected by a stage. ``reason`` is a stable code; ``message`` says where and why."""

    def __init__(self, reason: ReasonCode, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason: ReasonCode = reason
        self.message = message
