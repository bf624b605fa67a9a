"""The ``unicomp`` command.

Each sub-command lives in its own module of this package and exposes ``register(subparsers)``, which adds
a parser whose ``func`` default takes the parsed arguments and returns an exit status.  Modules are found
by name, so adding a command never touches this file.

Errors a user can cause (a command line that does not parse, :class:`~unicomp.errors.UnicompError`,
unreadable or unwritable files, running out of memory) print one line to stderr and exit with status 2; no
traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from unicomp import __version__
from unicomp.cli._parser import Parser, UsageError
from unicomp.errors import UnicompError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every sub-command module of :mod:`unicomp.cli` registered."""
    parser = Parser(
        prog="unicomp",
        description="Universal compression theory: compress objects by matching moments, audit the paper.",
    )
    parser.add_argument("--version", action="version", version=f"unicomp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``unicomp`` console script; returns the exit status.

    ``--help`` and ``--version`` return 0 after printing; nothing raises :class:`SystemExit`, so the
    function can be called in-process.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"{exc.prog}: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except SystemExit as exc:  # a sub-command's own --help
        return int(exc.code or 0)
    except BrokenPipeError:  # the reader of stdout stopped early (``unicomp bound list | head``)
        with contextlib.suppress(OSError, ValueError):  # keep Python's flush at exit from failing again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (UnicompError, OSError) as exc:
        print(f"unicomp {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"unicomp {args.command}: error: out of memory", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"unicomp {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
