"""Errors a user can cause. The CLI prints them in one line; anything else is a bug and keeps its traceback."""

from __future__ import annotations


class MlquizError(Exception):
    """A user-facing problem with a message that says what is wrong and how to fix it."""


class DemoInputError(MlquizError):
    """A demo was given a parameter value it cannot use."""


class UnknownDemoError(MlquizError):
    """No demo has the requested name."""


class BankError(MlquizError):
    """One or more problems in bank files; ``problems`` holds every one of them."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class StoreError(MlquizError):
    """The progress database cannot be used."""
