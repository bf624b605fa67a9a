r"""Docstrings as terminal text: reST and LaTeX markup to plain ASCII, and a numpydoc Parameters reader.

The bound calculators document themselves in numpydoc with reST roles and LaTeX (``:math:`0 < \sigma < 1```);
the command line shows that text without the markup (``0 < sigma < 1``).  The Parameters section is read
here rather than with :mod:`numpydoc.docscrape` because numpydoc depends on Sphinx, too heavy a dependency
for ``--help``; the reader handles the subset of the format the calculators use (``name[, name] : type``
lines at the section's indentation, each followed by its indented description), and the test suite checks
it against numpydoc on every calculator.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

__all__ = ["parameters", "plain", "summary"]

# LaTeX control words and the ASCII text that replaces them; any other word (Greek letters) becomes its
# name, and size modifiers (\bigl, \left) and font commands vanish.
_WORDS = {
    "le": "<=", "leq": "<=", "ge": ">=", "geq": ">=", "cdot": "*", "times": "x", "sim": "~", "in": "in",
    "infty": "inf", "dots": "...", "ldots": "...", "quad": " ", "qquad": " ", "partial": "d", "int": "integral",
    "sum": "sum", "sup": "sup", "log": "log", "exp": "exp", "sqrt": "sqrt", "lfloor": "floor(", "rfloor": ")",
    "langle": "<", "rangle": ">", "epsilon": "eps", "varepsilon": "eps",
}
_DROPPED = {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "mathbb", "operatorname", "text",
            "mathrm", "displaystyle"}
_ROLE = re.compile(r":(?:math|func|class|meth|mod|attr|data|obj|ref|exc):`(~?)([^`]*)`")
_GROUP = r"(\{[^{}]*\}|\\?[A-Za-z0-9])"  # a braced group, or a single character / digit


def _latex(text: str) -> str:
    """LaTeX math as ASCII: ``\\frac{a}{b}`` -> ``(a)/(b)``, ``\\binom{n}{k}`` -> ``C(n, k)``, ``x^{1/m}`` ->
    ``x^(1/m)``, control words by name (``\\le`` -> ``<=``, ``\\sigma`` -> ``sigma``)."""
    text = re.sub(r"\\[,;:! ]", " ", text).replace(r"\|", "||").replace(r"\{", "{").replace(r"\}", "}")
    for _ in range(3):  # nested fractions
        text = re.sub(r"\\[td]?frac" + _GROUP + _GROUP, lambda mt: f"{_operand(mt[1])}/{_operand(mt[2])}", text)
        text = re.sub(r"\\binom" + _GROUP + _GROUP, lambda mt: f"C({_ungroup(mt[1])}, {_ungroup(mt[2])})", text)

    def word(mt: re.Match[str]) -> str:
        name = mt[1]
        text = "" if name in _DROPPED else _WORDS.get(name, name)
        return text + (" " if mt[0].endswith(" ") else "")

    text = re.sub(r"\\([A-Za-z]+) ?", word, text)
    text = re.sub(r"([\^_])(\{[^{}]*\})", lambda mt: mt[1] + _operand(mt[2]), text)
    text = text.replace("{", "(").replace("}", ")")
    return re.sub(r" {2,}", " ", text).strip()


def _ungroup(group: str) -> str:
    """The content of a braced group (or the single character)."""
    return group[1:-1] if group.startswith("{") else group.lstrip("\\")


def _operand(group: str) -> str:
    """A group as an operand: bare when it is one word or number, else parenthesised."""
    inner = _ungroup(group)
    return inner if inner.isalnum() else f"({inner})"


def plain(text: str) -> str:
    """reST with roles and LaTeX to one line of plain text.

    Examples
    --------
    >>> plain(r"Cluster size :math:`N \\ge 2` of ``d`` points; see :func:`~unicomp.theory.bounds.rate_size`.")
    'Cluster size N >= 2 of d points; see rate_size.'
    >>> plain(r":math:`d' = O(\\log^m(d/\\epsilon))`, :math:`\\binom{m+k}{m} > d'`")
    "d' = O(log^m(d/eps)), C(m+k, m) > d'"
    """

    def role(mt: re.Match[str]) -> str:
        body = mt[2]
        if mt[0].startswith(":math:"):
            return _latex(body)
        return body.rsplit(".", 1)[-1] if mt[1] else body

    text = _ROLE.sub(role, text).replace("``", "")
    return " ".join(text.split())


def summary(fn: Callable[..., Any]) -> str:
    """The first paragraph of ``fn``'s docstring as one line of plain text."""
    return plain((inspect.getdoc(fn) or "").split("\n\n")[0])


def parameters(fn: Callable[..., Any]) -> dict[str, tuple[str, str]]:
    """Each parameter of ``fn``'s numpydoc Parameters section: name -> (type, description), as plain text.

    An entry naming several parameters (``k, m : int``) gives each of them its type and description.
    """
    lines = (inspect.getdoc(fn) or "").splitlines()
    try:
        start = next(i for i, line in enumerate(lines[:-1]) if line.strip() == "Parameters" and
                     set(lines[i + 1].strip()) == {"-"}) + 2
    except StopIteration:
        return {}
    entries: list[tuple[list[str], str, list[str]]] = []
    for i in range(start, len(lines)):
        line = lines[i]
        if line and not line[0].isspace():
            if i + 1 < len(lines) and lines[i + 1].strip() and set(lines[i + 1].strip()) == {"-"}:
                break  # the next section's title
            names, _, kind = line.partition(" : ")
            entries.append(([n.strip() for n in names.split(",")], kind.strip(), []))
        elif entries and line.strip():
            entries[-1][2].append(line.strip())
    return {name: (plain(kind), plain(" ".join(desc))) for names, kind, desc in entries for name in names}
