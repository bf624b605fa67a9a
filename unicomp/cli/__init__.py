"""The ``unicomp`` command.

Each sub-command lives in its own module of this package and exposes ``register(subparsers)``, which adds
a parser whose ``func`` default takes the parsed arguments and returns an exit status.  Modules are found
by name, so adding a command never touches this file.

Errors a user can cause (:class:`~unicomp.errors.UnicompError`, unreadable files) print one line to
stderr and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from unicomp import __version__
from unicomp.errors import UnicompError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every sub-command module of :mod:`unicomp.cli` registered."""
    parser = argparse.ArgumentParser(
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
    """Entry point of the ``unicomp`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (UnicompError, OSError) as exc:
        print(f"unicomp {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"unicomp {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
