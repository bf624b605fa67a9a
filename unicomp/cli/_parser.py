"""The command line's argument parser: usage errors as one line and an exception, not a printed screen.

:class:`argparse.ArgumentParser` prints its usage and exits on a bad argument; here the error becomes a
:class:`UsageError` (an :class:`~unicomp.errors.InputError`), which :func:`unicomp.cli.main` prints as one
line on stderr with exit status 2, like every other error a user can cause.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from unicomp.errors import InputError

__all__ = ["Parser", "UsageError", "count"]


class UsageError(InputError):
    """A command line that does not parse; ``prog`` names the (sub-)command whose parser rejected it."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(f"{message} (see '{prog} --help')")
        self.prog = prog


class Parser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` that raises :class:`UsageError` instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.prog, message)


def count(minimum: int, maximum: int | None = None) -> type[int]:
    """An argparse ``type``: a whole number in ``[minimum, maximum]`` (a clear message otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = "" if maximum is None else f" and at most {maximum}"
            raise argparse.ArgumentTypeError(f"must be at least {minimum}{upper}, got {value}")
        return value

    return parse  # type: ignore[return-value]
