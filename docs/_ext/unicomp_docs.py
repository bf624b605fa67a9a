"""Sphinx extension of the unicomp docs: symbolic output computed at build time, and cross-references.

(The audit's claims and results -- the ``unicomp-claims`` and ``unicomp-audit*`` directives -- are rendered
by the ``audit_pages`` extension beside this one.)

``unicomp-symbolic`` directive
    Runs its body (Python) in a fresh namespace and renders the variable ``show`` as display math with
    :func:`sympy.latex`.  ``show`` may be a sympy object, a string of LaTeX, a ``(lhs, rhs)`` pair, a
    :class:`sympy.Eq`, or a list of those (one equation each).  With ``:parse:``, ``show`` is instead a
    string of markup in the page's own language (Markdown on MyST pages), parsed in place -- for tables
    and text built from computed results.  The code is shown above its output unless ``:hide-code:`` is
    given.  Any exception fails the build, so a page can never show stale output.

Re-exported names
    A reference such as ``unicomp.recombine`` (a re-export) or ``Compression.save`` written inside a module
    that imports ``Compression`` names an object that is documented under its defining module.  On
    ``missing-reference`` the target is looked up in the importing namespace and, when the object it finds
    is documented under its canonical ``__module__.__qualname__``, the reference is pointed there.  A
    module constant or type alias without a doc comment (which autodoc does not list) links to its module,
    and a bare name that is not importable where it is used links to the one documented unicomp object of
    that name, if there is exactly one (an object documented again where it is re-exported counts once).
    Anything else stays unresolved (and fails the nitpicky build).

Dataclass signatures
    ``inspect.signature`` writes a field with a ``default_factory`` as ``= <factory>``, which Sphinx 9
    cannot parse: it falls back to splitting the signature at commas, which breaks every subscripted
    annotation (``Mapping[str`` ...) into unresolvable references (sphinx-doc/sphinx#14159).  The
    ``autodoc-process-signature`` hook writes each such default as the call that produces it
    (``dict()``, ``Fig4Config()``; ``...`` for a lambda).

numpy's typing aliases in signatures
    Evaluated annotations expand ``ArrayLike`` into a union of eight private protocol types
    (``_Buffer | _SupportsArray[dtype[Any]] | ...``) and ``NDArray[X]`` into
    ``ndarray[tuple[Any, ...], dtype[X]]``; the same hook writes them back as ``ArrayLike``,
    ``DTypeLike`` and ``NDArray[X]``.  (``autodoc_type_aliases`` cannot do it: it renders
    ``ArrayLike | None`` as ``TypeAliasForwardRef('...') | None``.)

Attributes without an entry
    A reference to ``Class.attr`` where ``Class`` is documented but ``attr`` has no entry of its own (a
    dataclass field or protocol attribute described in the class's *Attributes* section) is pointed at
    its documented canonical entry when there is one, else at the class.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import re
from typing import Any, ClassVar

import sympy
from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.docutils import SphinxDirective

__all__ = ["SymbolicDirective", "setup"]

def _latex(value: Any) -> str:
    return value if isinstance(value, str) else sympy.latex(value)


def _equation(item: Any) -> str:
    if isinstance(item, sympy.Equality):
        return f"{_latex(item.lhs)} = {_latex(item.rhs)}"
    if isinstance(item, tuple) and len(item) == 2:
        return f"{_latex(item[0])} = {_latex(item[1])}"
    return _latex(item)


class SymbolicDirective(SphinxDirective):
    """Execute a code block at build time and display its ``show`` value as LaTeX."""

    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {"hide-code": directives.flag, "parse": directives.flag}

    def run(self) -> list[nodes.Node]:
        code = "\n".join(self.content)
        namespace: dict[str, Any] = {"__name__": f"unicomp_docs_{self.env.docname}"}
        try:
            exec(compile(code, f"<{self.env.docname}:{self.lineno}>", "exec"), namespace)
        except Exception as exc:  # report any failure as a build error at this line
            raise self.error(f"unicomp-symbolic: the code raised {type(exc).__name__}: {exc}") from exc
        if "show" not in namespace:
            raise self.error("unicomp-symbolic: the code must assign the variable 'show'")
        show = namespace["show"]
        items = show if isinstance(show, list) else [show]
        out: list[nodes.Node] = []
        if "hide-code" not in self.options:
            literal = nodes.literal_block(code, code, language="python")
            out.append(literal)
        container = nodes.container(classes=["unicomp-symbolic"])
        container.extend(out)
        if "parse" in self.options:
            if not isinstance(show, str):
                raise self.error("unicomp-symbolic: with :parse:, 'show' must be a string of markup")
            self.state.nested_parse(StringList(show.splitlines(), source=self.env.docname), 0, container)
            return [container]
        for item in items:
            latex = _equation(item)
            block = nodes.math_block(latex, latex, nowrap=False, number=None)
            block["docname"] = self.env.docname
            container.append(block)
        return [container]


def _lookup(path: str, module: str | None) -> tuple[Any, str] | None:
    """The object a dotted ``path`` names (absolute or relative to ``module``) and the module holding it."""
    bases = [module, None] if module else [None]
    for base in bases:
        parts = path.split(".")
        try:
            if base is None:
                holder = parts[0]
                obj: Any = importlib.import_module(holder)
                parts = parts[1:]
                while parts and isinstance(getattr(obj, parts[0], None), type(importlib)):
                    holder = f"{holder}.{parts[0]}"
                    obj = getattr(obj, parts.pop(0))
            else:
                holder = base
                obj = importlib.import_module(base)
            for part in parts:
                obj = getattr(obj, part)
        except (ImportError, AttributeError):
            continue
        return obj, holder
    return None


def _canonical_name(obj: Any) -> str | None:
    owner = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not owner or not qualname or not owner.startswith("unicomp"):
        return None
    return f"{owner}.{qualname}"


def _resolve_reexport(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.TextElement
) -> nodes.Element | None:
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    domain = env.get_domain("py")
    found = _lookup(target, node.get("py:module"))
    if found is None:
        # A bare name used in a module that does not import it: accept it when exactly one documented
        # unicomp object has that name (what Sphinx does for ``.name`` references).
        # (A re-export documented a second time under the importing module counts once: its canonical name.)
        names = {name for name, *_ in domain.get_objects()}
        matches = sorted({
            _canonical_name(found[0]) or name if (found := _lookup(name, None)) else name
            for name in names if name.startswith("unicomp.") and name.endswith("." + target)
        })
        if len(matches) != 1:
            return None
        retry = node.deepcopy()
        retry["reftarget"] = matches[0]
        return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], matches[0], retry, contnode)
    obj, holder = found
    if not holder.startswith("unicomp"):
        return None
    canonical = _canonical_name(obj)
    if canonical is not None and canonical != target:
        retry = node.deepcopy()
        retry["reftarget"] = canonical
        return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], canonical, retry, contnode)
    if canonical is None and (node["reftype"] in {"data", "obj", "const", "attr"} or not isinstance(obj, type)):
        # A module constant without a doc comment -- also a type alias such as ``Kind = Literal[...]`` named
        # in an annotation -- has no entry of its own (autodoc skips undocumented data); point the
        # reference at the documented module that defines it.
        return domain.resolve_xref(env, node["refdoc"], app.builder, "mod", holder, node.deepcopy(), contnode)
    return None


def _resolve_attribute(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.TextElement
) -> nodes.Element | None:
    """``Class.attr`` with no entry for ``attr``: its canonical entry if documented, else the class."""
    target = node["reftarget"].lstrip("~.")
    owner, _, attr = target.rpartition(".")
    if not owner and node.get("py:class"):  # ``:attr:`root``` inside a method of the class
        owner = node["py:class"]
    found = _lookup(owner, node.get("py:module")) if owner else None
    if found is None or not isinstance(found[0], type):
        return None
    cls = found[0]
    canonical = _canonical_name(cls)
    fields = set(getattr(cls, "__annotations__", {})) | set(vars(cls))
    if canonical is None or attr not in fields:
        return None
    domain = env.get_domain("py")
    for kind, name in ((node["reftype"], f"{canonical}.{attr}"), ("class", canonical)):
        retry = node.deepcopy()
        retry["reftarget"] = name
        resolved = domain.resolve_xref(env, node["refdoc"], app.builder, kind, name, retry, contnode)
        if resolved is not None:
            return resolved
    return None


def _resolve(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.TextElement
) -> nodes.Element | None:
    """The ``missing-reference`` handler: an attribute without an entry, then a re-export."""
    if node.get("refdomain") != "py":
        return None
    return _resolve_attribute(app, env, node, contnode) or _resolve_reexport(app, env, node, contnode)


_FACTORY = re.compile(r"=\s*<factory>")
_NDARRAY = re.compile(r"~numpy\.ndarray\[tuple\[~typing\.Any, \.\.\.\], ~numpy\.dtype\[([^\[\]]*(?:\[[^\[\]]*\])?)\]\]")


@functools.cache
def _typing_aliases() -> dict[str, str]:
    """How Sphinx writes numpy's expanded aliases (its ``smart`` format), and the name to write instead."""
    from numpy.typing import ArrayLike, DTypeLike
    from sphinx.util.typing import stringify_annotation

    return {stringify_annotation(alias, "smart"): f"~numpy.typing.{name}"
            for name, alias in (("ArrayLike", ArrayLike), ("DTypeLike", DTypeLike))}


def _short_annotations(text: str) -> str:
    for expanded, name in _typing_aliases().items():
        text = text.replace(expanded, name)
    return _NDARRAY.sub(r"~numpy.typing.NDArray[\1]", text)


def _factory_defaults(signature: str, obj: Any) -> str:
    if "<factory>" not in signature or not dataclasses.is_dataclass(obj):
        return signature
    calls = iter(
        f"{name}()" if (name := getattr(f.default_factory, "__name__", "")).isidentifier() else "..."
        for f in dataclasses.fields(obj)
        if f.init and f.default_factory is not dataclasses.MISSING
    )
    return _FACTORY.sub(lambda _: f"= {next(calls, '...')}", signature)


def _process_signature(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, signature: str | None, annotation: str | None
) -> tuple[str | None, str | None]:
    """numpy's aliases written short, dataclass factory defaults parseable (see the module docstring)."""
    if signature is not None:
        signature = _factory_defaults(_short_annotations(signature), obj)
    if annotation is not None:
        annotation = _short_annotations(annotation)
    return signature, annotation


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives and the reference and signature hooks."""
    app.add_directive("unicomp-symbolic", SymbolicDirective)
    app.connect("missing-reference", _resolve)
    app.connect("autodoc-process-signature", _process_signature)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
