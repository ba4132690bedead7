"""The error of the checks before the start."""

from __future__ import annotations


class PreflightError(Exception):
    """Problems that stop the start: each one line, naming the key and the fix."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)
