"""The one error every file import raises when a file has problems: nothing was written."""

from __future__ import annotations


class FileRejected(Exception):
    """A file has problems, each with its line number; nothing from it was written."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was imported")
