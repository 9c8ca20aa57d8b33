"""How each xlwings host names the ETF_ functions, and how Excel stores them in a file.

One workbook cannot serve the three hosts, because Excel binds a formula to a function by
the name stored in the file, and the three hosts register the functions differently:

* **classic xlwings** (Windows): Import Functions writes VBA wrappers into the workbook, named
  as the Python functions: the file stores ``ETF_HOLDING_COST(...)``.
* **xlwings Lite**: registers Office.js custom functions without a namespace
  (``=HELLO("World")`` in its documentation).
* **xlwings Server**: registers them under the namespace of its manifest, the setting
  ``functions_namespace`` (``XLWINGS_FUNCTIONS_NAMESPACE``, default ``XLWINGS``) upper-cased,
  followed by ``_`` and the environment when that is not ``prod`` (``XLWINGS_ENVIRONMENT``,
  default ``prod``): Excel shows ``XLWINGS.ETF_HOLDING_COST``, or
  ``XLWINGS_DEV.ETF_HOLDING_COST`` in a development set-up.

Excel stores an Office.js (JavaScript) custom function in the file as ``_xldudf_`` followed
by its full name with the namespace's dots written as underscores:
``_xldudf_XLWINGS_ETF_HOLDING_COST(...)`` for the Server, ``_xldudf_ETF_HOLDING_COST(...)``
for Lite. Microsoft's maintainers describe the prefix in OfficeDev/Excel-Custom-Functions
issue 108 (a formula not stored that way does not calculate until it is entered again), and
workbooks that Excel saved with Office.js functions show it (``_xldudf_CX_GET(...)``,
``_xldudf_WISEPRICE(...)``). So the template is written once per host, each copy with every
ETF_ call spelled as that host binds it; the cached values are the same in every copy.
"""
from __future__ import annotations

import re

from ..analytics.errors import InputError

__all__ = ["HOSTS", "WORKBOOK_FILES", "DEFAULT_NAMESPACE", "check_host", "check_namespace", "stored_name", "for_host",
           "bare_name"]

#: The hosts a workbook can be written for.
HOSTS = ("classic", "lite", "server")
#: The committed copy of the template for each host, in ``workbook/``.
WORKBOOK_FILES = {"classic": "etf_cost_analytics.xlsx", "lite": "etf_cost_analytics_lite.xlsx",
                  "server": "etf_cost_analytics_server.xlsx"}
#: xlwings Server's default namespace (``functions_namespace``, production environment).
DEFAULT_NAMESPACE = "XLWINGS"
# A manifest namespace: a letter, then letters, digits, "_" or "." (the characters Excel
# allows in a custom function's id), at most 32 characters (the manifest's limit).
_NAMESPACE = re.compile(r"[A-Z][A-Z0-9_.]{0,31}")
# An ETF_ function call, and the double-quoted text literals it must not be looked for in.
_CALL_OR_TEXT = re.compile(r'"(?:[^"]|"")*"|(?<![A-Za-z0-9_.])(ETF_[A-Z0-9_]+)(?=\()')


def check_host(host: str) -> str:
    """One of :data:`HOSTS` (any case), else an error naming ``host``."""
    h = host.strip().lower() if isinstance(host, str) else host
    if h not in HOSTS:
        raise InputError("host", f"must be one of {', '.join(HOSTS)}, got {host!r}")
    return h


def check_namespace(namespace: str) -> str:
    """The namespace as the server's manifest writes it (upper case), checked."""
    ns = namespace.strip().upper() if isinstance(namespace, str) else ""
    if not _NAMESPACE.fullmatch(ns):
        raise InputError("namespace", f"{namespace!r} is not a namespace Excel accepts: a letter, then "
                                      "letters, digits, _ or ., at most 32 characters")
    return ns


def stored_name(name: str, host: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """The name a workbook for ``host`` stores for the function ``name`` (``ETF_...``)."""
    host = check_host(host)
    if host == "classic":
        return name
    if host == "lite":
        return "_xldudf_" + name
    return f"_xldudf_{check_namespace(namespace).replace('.', '_')}_{name}"


def for_host(formula: str, host: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """``formula`` with every ETF_ call spelled as ``host`` binds it; text literals untouched."""
    host = check_host(host)
    if host == "classic":
        return formula
    return _CALL_OR_TEXT.sub(lambda m: stored_name(m.group(1), host, namespace) if m.group(1) else m.group(0),
                             formula)


def bare_name(stored: str, known=None) -> str:
    """The function name behind a stored one: ``_xldudf_XLWINGS_ETF_BETA`` -> ``ETF_BETA``.

    With ``known`` (the function names), the first candidate that is known is taken, so that a
    namespace that itself contains ``ETF_`` is read right.
    """
    if not stored.upper().startswith("_XLDUDF_"):
        return stored
    rest = stored[len("_xldudf_"):]
    candidates = [rest[m.start():] for m in re.finditer(r"(?:^|_)(?=ETF_)", rest)]
    candidates = [c.lstrip("_") for c in candidates]
    for c in candidates:
        if known is None or c in known:
            return c
    return stored
