"""The functions on a real xlwings Server, called over HTTP as Excel's add-in calls them.

A project is made with ``xlwings-server init`` in a temporary folder, the README's one-line
import plugs the module in, and the server runs on a free 127.0.0.1 port
(``tests/server_harness.py``). The tests fetch what the add-in loads (the functions'
metadata, their JavaScript, the manifest), replay every ``ETF_`` formula of the committed
workbook with the values of the cells it refers to and compare each answer with the value
saved in the file, and check what a bad input gives. The server is stopped by its process
group when the module is done, and the tests check that it is gone.

Formulas are read in the three spellings a workbook may hold: ``ETF_HOLDING_COST(...)``
(classic xlwings), ``_xldudf_ETF_HOLDING_COST(...)`` (an Office.js function without a
namespace, as xlwings Lite registers them) and ``_xldudf_XLWINGS_ETF_HOLDING_COST(...)``
(xlwings Server, namespace ``XLWINGS`` with its dot stored as an underscore).
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import inspect
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Not imported here: importing xlwings_server sets XLWINGS_ON_SERVER for the whole process,
# which would switch xlwings' decorators for every later test. It runs in the server process.
if importlib.util.find_spec("xlwings_server") is None:
    pytest.skip("xlwings-server is not installed (it needs Python 3.11 or later; "
                'pip install -e ".[test]" installs it there)', allow_module_level=True)

import openpyxl  # noqa: E402
from openpyxl.utils.cell import range_boundaries  # noqa: E402

from xlwings_udfs import functions as F  # noqa: E402

from cached_values import matches_cached  # noqa: E402
from server_harness import (  # noqa: E402
    DEFAULT_NAMESPACE,
    ensure_stopped,
    error_object,
    group_alive,
    manifest_namespace,
    running_server,
    serial,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning"),
]

WORKBOOK_DIR = Path(__file__).resolve().parents[1] / "workbook"


def _workbook() -> Path:
    """The workbook to replay: a server variant (``workbook/*server*.xlsx``) if there is one."""
    variants = sorted(WORKBOOK_DIR.glob("*server*.xlsx"))
    return variants[0] if variants else WORKBOOK_DIR / "etf_cost_analytics.xlsx"


#: The one place that says which workbook is replayed.
WORKBOOK = _workbook()


# ----------------------------------------------------------------------------------------
# reading the workbook's formulas
# ----------------------------------------------------------------------------------------

_NAME = re.compile(r"^(?:_XLDUDF_)?(?:(?P<ns>[A-Z0-9_]+?)[_.])?(?P<fn>ETF_[A-Z0-9_]+)$")
_REF = re.compile(r"^(?:(?:'(?P<qsheet>(?:[^']|'')+)'|(?P<sheet>[A-Za-z0-9_.]+))!)?"
                  r"(?P<ref>\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)$")
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def etf_function(name: str) -> tuple[str, str | None] | None:
    """``(function, namespace)`` of a call's name in any of the three spellings, else None.

    ``ETF_X`` -> ("ETF_X", None); ``_xldudf_ETF_X`` -> ("ETF_X", None);
    ``_xldudf_XLWINGS_ETF_X`` -> ("ETF_X", "XLWINGS"); ``_xldudf_XLWINGS_DEV_ETF_X`` ->
    ("ETF_X", "XLWINGS_DEV").
    """
    m = _NAME.match(name.strip().upper())
    if not m or m.group("fn") not in F.__all__:
        return None
    return m.group("fn"), m.group("ns")


def split_call(text: str) -> tuple[str, list[str]] | None:
    """``NAME(a, b, ...)`` -> ("NAME", ["a", "b", ...]) if the whole text is one call."""
    m = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\(", text)
    if not m:
        return None
    args, depth, quoted, start = [], 1, False, m.end()
    for i in range(m.end(), len(text)):
        ch = text[i]
        if quoted:
            if ch == '"':
                quoted = False  # a doubled "" re-opens at the next character
        elif ch == '"':
            quoted = True
        elif ch == "'":
            # a quoted sheet name: skip to its closing quote ('' inside is a quote)
            j = i + 1
            while j < len(text) and not (text[j] == "'" and text[j + 1:j + 2] != "'"):
                j += 2 if text[j] == "'" else 1
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                if text[i + 1:].strip():
                    return None
                args.append(text[start:i])
                return m.group(1), [a.strip() for a in args]
        elif ch == "," and depth == 1:
            args.append(text[start:i])
            start = i + 1
    return None


@dataclass
class Formula:
    sheet: str
    address: str
    text: str
    function: str
    namespace: str | None
    args: list[str]
    index: tuple[int, ...] = ()   # INDEX(call, r[, c])
    guard: str | None = None      # IF(ISNUMBER(guard), call, NA()): the call only where guard is a number
    cached: Any = None
    values: list[Any] = field(default_factory=list)  # the arguments as Office.js sends them


def _formula_text(v: Any) -> str | None:
    v = getattr(v, "text", v)
    return v if isinstance(v, str) and v.startswith("=") else None


def read_formulas(path: Path, values: bool = True) -> tuple[list[Formula], list[tuple[str, str, str]]]:
    """Every formula that calls an ``ETF_`` function, with its arguments' cells and cached value.

    Returns the formulas and those of their shapes the replay does not handle
    (sheet, cell, text), which the test reports. ``values=False`` reads the formulas only.
    """
    wf = openpyxl.load_workbook(path)
    wv = openpyxl.load_workbook(path, data_only=True) if values else None
    names = {n.upper(): d for n, d in wf.defined_names.items()}
    formulas, unsupported = [], []
    for ws in wf.worksheets:
        local = {n.upper(): d for n, d in ws.defined_names.items()}
        for row in ws.iter_rows():
            for c in row:
                text = _formula_text(c.value)
                if text is None or "ETF_" not in text.upper():
                    continue
                f = _parse(ws.title, c.coordinate, text)
                if f is None:
                    unsupported.append((ws.title, c.coordinate, text))
                    continue
                if wv is None:
                    formulas.append(f)
                    continue
                f.cached = wv[ws.title][c.coordinate].value
                if isinstance(f.cached, (dt.datetime, dt.date)):
                    f.cached = serial(f.cached)  # a date cell holds its serial, as Office.js returns it
                try:
                    if f.guard is not None:
                        guard = _argument(f.guard, ws.title, wv, {**names, **local})[0][0]
                        if not isinstance(guard, (int, float)) or isinstance(guard, bool):
                            continue  # the formula shows NA(): nothing is called
                    f.values = [_argument(a, ws.title, wv, {**names, **local}) for a in f.args]
                except ValueError as err:
                    unsupported.append((ws.title, c.coordinate, f"{text}: {err}"))
                    continue
                formulas.append(f)
    return formulas, unsupported


def _parse(sheet: str, address: str, text: str) -> Formula | None:
    outer = split_call(text[1:])
    if outer is None:
        return None
    index: tuple[int, ...] = ()
    guard = None
    name, args = outer
    if name.upper() == "IF":  # IF(ISNUMBER(X), call, NA()): a point drawn only where X is a number
        test = split_call(args[0]) if len(args) == 3 else None
        if test is None or test[0].upper() != "ISNUMBER" or args[2].replace(" ", "").upper() != "NA()":
            return None
        guard = test[1][0]
        outer = split_call(args[1])
        if outer is None:
            return None
        name, args = outer
    if name.upper() == "INDEX":
        if len(args) not in (2, 3) or not all(re.fullmatch(r"\d+", a) for a in args[1:]):
            return None
        inner = split_call(args[0])
        if inner is None:
            return None
        index = tuple(int(a) for a in args[1:])
        name, args = inner
    fn = etf_function(name)
    if fn is None:
        return None
    if args == [""]:
        args = []  # F()
    return Formula(sheet, address, text, fn[0], fn[1], args, index, guard)


def _argument(text: str, sheet: str, wv, names: dict) -> Any:
    """An argument of a formula as the add-in sends it: a 2-D array, or None when omitted."""
    t = text.strip()
    if t == "":
        return None
    if t.upper() in ("TRUE", "FALSE"):
        return [[t.upper() == "TRUE"]]
    if t.startswith('"') and t.endswith('"') and len(t) >= 2:
        return [[t[1:-1].replace('""', '"')]]
    if _NUMBER.match(t):
        v = float(t)
        return [[int(v) if v.is_integer() and "." not in t and "e" not in t.lower() else v]]
    if t.upper() in names:
        chosen = split_call(names[t.upper()].attr_text)
        if chosen is not None and chosen[0].upper() == "CHOOSE":
            # a name that picks one of several ranges: CHOOSE(SELECTOR, NAME_1, NAME_2, ...)
            k = _argument(chosen[1][0], sheet, wv, names)[0][0]
            return _argument(chosen[1][int(k)], sheet, wv, names)
        dests = list(names[t.upper()].destinations)
        if len(dests) != 1:
            raise ValueError(f"name {t} is not one range")
        return _cells(wv, *dests[0])
    m = _REF.match(t)
    if m:
        ref_sheet = m.group("qsheet").replace("''", "'") if m.group("qsheet") else (m.group("sheet") or sheet)
        return _cells(wv, ref_sheet, m.group("ref"))
    raise ValueError(f"argument {t!r} is not a number, TRUE/FALSE, text, a name or a reference")


def _cells(wv, sheet: str, ref: str) -> list[list[Any]]:
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    rows = wv[sheet].iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col)
    return [[_office_js(c) for c in row] for row in rows]


def _office_js(c) -> Any:
    """A cell's cached value as Office.js sends it."""
    if c.data_type == "e":
        return error_object(c.value)
    v = c.value
    if v is None:
        return ""
    if isinstance(v, (dt.datetime, dt.date)):
        return serial(v)
    if isinstance(v, dt.time):
        return (v.hour * 3600 + v.minute * 60 + v.second) / 86400
    return v


def _address(sheet: str, a1: str) -> str:
    """A cell's address as Excel writes it: ``Data!A6``, ``'Fund Comparison'!C6``."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet):
        return f"{sheet}!{a1}"
    return "'" + sheet.replace("'", "''") + f"'!{a1}"


def _pick(result: list[list[Any]], index: tuple[int, ...]) -> Any:
    """The value a formula shows: the 1x1 result, or what ``INDEX(result, ...)`` takes."""
    if not index:
        assert len(result) == 1 and len(result[0]) == 1, f"a {len(result)}-row result in one cell"
        return result[0][0]
    if len(index) == 2:
        return result[index[0] - 1][index[1] - 1]
    k = index[0]
    if len(result) == 1:
        return result[0][k - 1]
    assert all(len(r) == 1 for r in result), "INDEX(table, k) of a 2-D table is a row"
    return result[k - 1][0]


_ERROR_TEXT = {"NotAvailable": "#N/A", "Div0": "#DIV/0!", "Value": "#VALUE!", "Num": "#NUM!",
               "Ref": "#REF!", "Name": "#NAME?", "Null": "#NULL!"}


def _same(got: Any, want: Any, scan_dependent: bool) -> bool:
    """The server's answer against the value the workbook caches (cached_values)."""
    if isinstance(got, dict) and got.get("type") == "Error":
        got = _ERROR_TEXT.get(got.get("errorType"), "#ERROR")
    return matches_cached(got, want, scan_dependent)


# ----------------------------------------------------------------------------------------
# fixtures
# ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("server")) as s:
        yield s
    ensure_stopped(s)  # an error at teardown if anything of the server is left


@pytest.fixture(scope="module")
def client(server):
    with server.client(workbook=WORKBOOK.name) as c:
        yield c


@pytest.fixture(scope="module")
def meta(client):
    return client.meta()


@pytest.fixture(scope="module")
def workbook_formulas():
    return read_formulas(WORKBOOK)


# ----------------------------------------------------------------------------------------
# what the add-in loads
# ----------------------------------------------------------------------------------------

def test_metadata_lists_every_function_with_its_help(meta):
    by_name = {f["name"]: f for f in meta["functions"]}
    assert sorted(by_name) == sorted(F.__all__)
    for name, f in by_name.items():
        py = getattr(F, name)
        assert f["id"] == name.upper()
        assert f["description"] == py.__doc__ and len(f["description"]) <= 255
        params = inspect.signature(py).parameters
        assert [p["name"] for p in f["parameters"]] == list(params), name
        for p in f["parameters"]:
            assert p["description"] and not p["description"].startswith("Positional argument"), (name, p)
            assert len(p["description"]) <= 255, (name, p["name"])
            assert p["dimensionality"] == "matrix", (name, p["name"])
            has_default = params[p["name"]].default is not inspect.Parameter.empty
            assert p.get("optional", False) == has_default, (name, p["name"])
        assert f["result"]["dimensionality"] == "matrix"


def test_the_add_in_code_associates_every_function(client):
    code = client.functions_code()
    for name in F.__all__:
        assert f'CustomFunctions.associate("{name.upper()}", {name});' in code, name
    assert "/xlwings/custom-functions-call" in code


def test_the_manifest_namespace_is_the_one_the_server_workbook_assumes(client, workbook_formulas):
    """Production ("prod") serves the functions as XLWINGS.ETF_..., saved as _xldudf_XLWINGS_ETF_..."""
    manifest = client.manifest()
    served = manifest_namespace(manifest)
    assert served == DEFAULT_NAMESPACE
    assert "[dev]" not in manifest
    formulas, _ = workbook_formulas
    saved = {f.namespace for f in formulas if f.namespace is not None}
    assert saved <= {served}, f"{WORKBOOK.name} calls functions of namespace {saved}; the server serves {served}"


# ----------------------------------------------------------------------------------------
# the workbook, formula by formula
# ----------------------------------------------------------------------------------------

def test_every_workbook_formula_reproduces_its_saved_value(client, workbook_formulas, scan_dependent):
    formulas, unsupported = workbook_formulas
    assert not unsupported, f"formulas the replay cannot read: {unsupported[:5]}"
    assert len(formulas) >= 200, len(formulas)
    mismatches = []
    for f in formulas:
        r = client.call(f.function, f.values, caller_address=_address(f.sheet, f.address))
        if r.status != 200:
            mismatches.append(f"{f.sheet}!{f.address} {f.text}: HTTP {r.status} {r.text[:200]}")
            continue
        got = _pick(r.result, f.index)
        if not _same(got, f.cached, (f.sheet, f.address) in scan_dependent):
            mismatches.append(f"{f.sheet}!{f.address} {f.text}: server {got!r}, saved {f.cached!r}")
    assert not mismatches, f"{len(mismatches)} of {len(formulas)} differ:\n" + "\n".join(mismatches[:20])


@pytest.mark.parametrize("prefix, namespace", [("_xldudf_", None), ("_xldudf_XLWINGS_", "XLWINGS"),
                                               ("_xldudf_XLWINGS_DEV_", "XLWINGS_DEV")])
def test_the_office_js_spellings_read_as_the_bare_names(tmp_path, workbook_formulas, prefix, namespace):
    """A copy of the workbook with every ETF_ call renamed as Excel saves Office.js functions."""
    copy = tmp_path / f"renamed{WORKBOOK.suffix}"
    with zipfile.ZipFile(WORKBOOK) as src, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = data.decode("utf-8")
                text = re.sub(r"(?<![A-Za-z0-9_.])(?:_xldudf_)?(?:[A-Z0-9]+_)*?(ETF_[A-Z_]+\()",
                              lambda m: prefix + m.group(1), text)
                data = text.encode("utf-8")
            dst.writestr(item, data)
    renamed, unsupported = read_formulas(copy, values=False)
    original, _ = workbook_formulas
    assert not unsupported
    assert all(f.text.count(prefix) == 1 for f in renamed)
    assert {f.namespace for f in renamed} == {namespace}
    key = lambda f: (f.sheet, f.address, f.function, tuple(f.args), f.index)  # noqa: E731
    assert [key(f) for f in renamed] == [key(f) for f in original]


@pytest.mark.parametrize("name, expected", [
    ("ETF_HOLDING_COST", ("ETF_HOLDING_COST", None)),
    ("_xldudf_ETF_HOLDING_COST", ("ETF_HOLDING_COST", None)),
    ("_xldudf_XLWINGS_ETF_HOLDING_COST", ("ETF_HOLDING_COST", "XLWINGS")),
    ("_xldudf_XLWINGS_DEV_ETF_TRACKING_ERROR_TRADITIONAL", ("ETF_TRACKING_ERROR_TRADITIONAL", "XLWINGS_DEV")),
    ("xlwings.etf_beta", ("ETF_BETA", "XLWINGS")),
    ("ETF_NO_SUCH_FUNCTION", None),
    ("SUM", None),
])
def test_function_names_in_every_spelling(name, expected):
    assert etf_function(name) == expected


def test_arguments_are_read_as_the_add_in_sends_them(tmp_path):
    wb = openpyxl.Workbook()
    data = wb.active
    data.title = "My Data"
    for row, (d, v) in enumerate([(dt.datetime(2024, 1, 1), 100.5), (dt.datetime(2024, 1, 2), None),
                                  (dt.datetime(2024, 1, 3), "#N/A")], start=1):
        data.cell(row, 1, d)
        data.cell(row, 2, v)
    data["C1"] = True
    wb.defined_names["LEVELS"] = openpyxl.workbook.defined_name.DefinedName(
        "LEVELS", attr_text="'My Data'!$B$1:$B$3")
    sheet = wb.create_sheet("Calc")
    sheet["D4"] = "=INDEX(_xldudf_XLWINGS_ETF_TOTAL_COST(LEVELS,'My Data'!$A$1:$A$2,'My Data'!C$1,,TRUE," \
                  '"a ""b""",-1.5e-3,7),1,2)'
    sheet["E4"] = "=ETF_VERSION()"
    sheet["F4"] = "=1+ETF_VERSION()"
    path = tmp_path / "book.xlsx"
    wb.save(path)
    formulas, unsupported = read_formulas(path)
    assert [(s, a) for s, a, _ in unsupported] == [("Calc", "F4")]
    f, version = formulas
    assert (f.sheet, f.address, f.function, f.namespace, f.index) == ("Calc", "D4", "ETF_TOTAL_COST", "XLWINGS", (1, 2))
    assert f.values == [
        [[100.5], [""], [error_object("#N/A")]],    # a named range: blank "", error cell an error object
        [[45292], [45293]],                          # dates as serial numbers
        [[True]],                                    # a mixed reference to another sheet
        None,                                        # omitted: null
        [[True]], [['a "b"']], [[-0.0015]], [[7]],   # literals
    ]
    assert (version.function, version.args, version.values) == ("ETF_VERSION", [], [])


# ----------------------------------------------------------------------------------------
# bad inputs: 400 with a one-line message naming the argument, never a 500
# ----------------------------------------------------------------------------------------

def _one_fund(workbook_formulas):
    formulas, _ = workbook_formulas
    f = next(f for f in formulas if f.function == "ETF_HOLDING_COST" and not f.index)
    return [col[:] for col in f.values[0]], f.values[1], f.values[2]


def _assert_400(r, startswith):
    assert r.status == 400, (r.status, r.text)
    assert r.content_type.startswith("text/plain"), r.content_type
    assert "\n" not in r.text.strip() and "Traceback" not in r.text and len(r.text) <= 255, r.text
    assert r.text.startswith(startswith), r.text


def test_text_in_a_level_range_is_a_400_naming_the_argument(client, workbook_formulas):
    fund, index, dates = _one_fund(workbook_formulas)
    fund[11] = ["n/a"]  # row 12 of the selection
    r = client.call("ETF_HOLDING_COST", [fund, index, dates])
    _assert_400(r, "fund: ")
    assert r.text == "fund: 1 non-numeric cell ('n/a'), first at row 12"


def test_an_error_cell_is_a_400_naming_the_argument(client, workbook_formulas):
    fund, index, dates = _one_fund(workbook_formulas)
    index = [r[:] for r in index]
    index[4] = [error_object("#N/A")]
    r = client.call("ETF_TRACKING_ERROR", [fund, index, dates])
    _assert_400(r, "index: ")
    assert r.text == "index: 1 error cell (#N/A), first at row 5"


def test_not_enough_data_is_a_400_that_says_so(client, workbook_formulas):
    fund, index, dates = _one_fund(workbook_formulas)
    r = client.call("ETF_HOLDING_COST", [fund[:20], index[:20], dates[:20]])
    _assert_400(r, "Not enough data - ")
    assert r.text == ("Not enough data - Estimated holding cost (EHC): 19 returns on common dates: the "
                      "holding cost and the noise-robust tracking error need at least 30")
    r = client.call("ETF_BETA", [fund[:10], index[:10], dates[:10]])
    assert r.text == "Not enough data - fund: 9 returns on dates both series have; at least 12 are needed"


def test_a_bad_scalar_is_a_400_naming_the_argument(client):
    r = client.call("ETF_TOTAL_COST", [[["a lot"]], 3, 10, -0.0023])
    _assert_400(r, "trade_size")


# ----------------------------------------------------------------------------------------
# the project as init leaves it, and stopping
# ----------------------------------------------------------------------------------------

def test_init_leaves_a_dev_project_and_the_server_stops_when_a_test_fails(tmp_path):
    """``init`` writes XLWINGS_ENVIRONMENT="dev": the namespace is then XLWINGS_DEV."""
    env_file = None
    with pytest.raises(RuntimeError, match="a failing test"):
        with running_server(tmp_path, environment=None) as s:
            env_file = (s.project / ".env").read_text()
            with s.client() as c:
                manifest = c.manifest()
                assert c.call("ETF_TOTAL_COST", [1e6, 3, 10, -0.0023]).status == 200
            raise RuntimeError("a failing test")
    assert re.search(r'^XLWINGS_ENVIRONMENT="dev"', env_file, re.M)
    assert manifest_namespace(manifest) == f"{DEFAULT_NAMESPACE}_DEV"
    assert "[dev]" in manifest
    assert s.proc.returncode is not None and not group_alive(s.pid)
    ensure_stopped(s)


# ----------------------------------------------------------------------------------------
# the load benchmark, briefly
# ----------------------------------------------------------------------------------------

def test_the_load_benchmark_gets_the_expected_answers_and_the_serial_results(capsys):
    """benchmarks/bench_server.py with 300 requests (every call of its pool) from 8 clients."""
    path = WORKBOOK_DIR.parent / "benchmarks" / "bench_server.py"
    spec = importlib.util.spec_from_file_location("bench_server", path)
    bench = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_server", bench)  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    code = bench.main(["--requests", "300", "--clients", "8"])
    out = capsys.readouterr().out
    assert code == 0, out[-3000:]
    assert "unexpected answers: 0; results differing between the runs: 0" in out
