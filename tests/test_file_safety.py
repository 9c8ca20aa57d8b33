"""Files the command line and the workbook builder write: never over a user's file unasked,
never half-written, and a user's text never turned into a formula.

Every command that writes is tried against an existing file (refused without ``--force``,
replaced with it), and every write is made to fail: the writer raising halfway, the final
rename failing, an interrupt, a file-size limit (the disk filling up) and the process being
killed mid-write. Each time the user's original must be byte-for-byte intact.
"""
from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from xlwings_udfs import cli
from xlwings_udfs.template import (OutputExistsError, build_workbook, compute_template, write_atomically,
                                   write_workbook)
from xlwings_udfs.template import files as files_module

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")

ROOT = Path(__file__).resolve().parents[1]
ORIGINAL = b"a user's own file: quarterly numbers, do not lose\n"
STAMP = 1_000_000_000  # a recognisable mtime: a rewrite with the same bytes still shows

#: Names a spreadsheet would read as formulas, or otherwise alter, if written as plain values.
NASTY = ["=1+1", "+SUM(1,2)", "-2+3", "@SUM(1)", '=HYPERLINK("http://example.com","x")',
         "=cmd|' /C calc'!A0", "0012", "1e5", "TRUE", "#N/A"]


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------

def user_file(path: Path, mode: int | None = None) -> Path:
    path.write_bytes(ORIGINAL)
    if mode is not None:
        path.chmod(mode)
    os.utime(path, (STAMP, STAMP))
    return path


def assert_untouched(path: Path) -> None:
    assert path.read_bytes() == ORIGINAL, "the user's file was changed"
    assert path.stat().st_mtime == STAMP, "the user's file was rewritten"


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    """Files other than those expected (temporary files a failed write left behind)."""
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def run(capsys, *args) -> tuple[int, str]:
    code = cli.main([str(a) for a in args])
    _, err = capsys.readouterr()
    return code, err


def assert_one_line(err: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err


def _series(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, n)))
    nav = index * np.exp(np.cumsum(rng.normal(-1e-5, 3e-4, n)))
    price = nav * np.exp(rng.normal(0, 0.002, n))
    return pd.DataFrame({"date": pd.bdate_range("2021-01-04", periods=n).strftime("%Y-%m-%d"),
                         "nav": nav, "index": index, "price": price,
                         "volume": np.round(rng.lognormal(10, 1, n))})


@pytest.fixture(scope="module")
def csvs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    one = folder / "fund.csv"
    _series(300, 1).to_csv(one, index=False)
    parts = [_series(120, k).assign(fund=name) for k, name in enumerate(NASTY)]
    panel = folder / "panel.csv"
    pd.concat(parts)[["fund", "date", "nav", "index", "price", "volume"]].to_csv(panel, index=False)
    return {"fund": one, "panel": panel}


def _commands(csvs, out: Path) -> dict[str, list]:
    return {
        "analyze csv": ["analyze", csvs["fund"], "--out", out.with_suffix(".csv")],
        "analyze json": ["analyze", csvs["fund"], "--out", out.with_suffix(".json")],
        "universe csv": ["universe", csvs["panel"], "--out", out.with_suffix(".csv")],
        "universe xlsx": ["universe", csvs["panel"], "--out", out.with_suffix(".xlsx")],
        "template": ["template", "--out", out.with_suffix(".xlsx")],
        "demo": ["demo", "--out", out.with_suffix(".xlsx")],
    }


COMMANDS = ["analyze csv", "analyze json", "universe csv", "universe xlsx", "template", "demo"]
# demo writes through the same code as template: one of the two is enough for the failures
FAILING_COMMANDS = COMMANDS[:5]


def _is_complete(path: Path) -> None:
    """The written file is whole: it parses as what its name says."""
    if path.suffix == ".xlsx":
        assert zipfile.is_zipfile(path)
        openpyxl.load_workbook(path, read_only=True).close()
    elif path.suffix == ".json":
        json.loads(path.read_text(encoding="utf-8"))
    else:
        assert len(pd.read_csv(path)) > 0


# ----------------------------------------------------------------------------------------
# an existing file: refused without --force, replaced with it
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", COMMANDS)
def test_existing_output_is_refused_without_force(capsys, tmp_path, csvs, command):
    args = _commands(csvs, tmp_path / "out")[command]
    target = user_file(Path(args[-1]))
    code, err = run(capsys, *args)
    assert code == cli.EXIT_EXISTS, err
    assert_one_line(err)
    assert "--force" in err
    assert_untouched(target)
    assert leftovers(tmp_path, {target.name}) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_force_replaces_the_file_completely(capsys, tmp_path, csvs, command):
    args = _commands(csvs, tmp_path / "out")[command]
    target = user_file(Path(args[-1]), mode=0o640)
    code, err = run(capsys, *args, "--force")
    assert code == cli.EXIT_OK, err
    assert target.read_bytes() != ORIGINAL
    _is_complete(target)
    assert target.stat().st_mode & 0o777 == 0o640, "a replaced file keeps its permissions"
    assert leftovers(tmp_path, {target.name}) == []


def test_refusal_comes_before_the_work(capsys, tmp_path, csvs, monkeypatch):
    """The user learns at once: no estimate runs for an output that will be refused."""
    import xlwings_udfs.template as template

    def no_work(*a, **k):
        raise AssertionError("computed before refusing the output")

    monkeypatch.setattr(template, "compute_template", no_work)
    monkeypatch.setattr("xlwings_udfs.analytics.tracking_stats", no_work)
    for command in ("template", "demo", "universe xlsx"):
        args = _commands(csvs, tmp_path / "out")[command]
        target = user_file(Path(args[-1]))
        code, err = run(capsys, *args)
        assert code == cli.EXIT_EXISTS, (command, err)
        assert_untouched(target)


def test_builder_refuses_an_existing_file(tmp_path):
    target = user_file(tmp_path / "book.xlsx")
    with pytest.raises(OutputExistsError):
        build_workbook(target, funds=1, rows=300)
    assert_untouched(target)
    with pytest.raises(OutputExistsError):
        write_workbook(compute_template(funds=1, rows=300), target)
    assert_untouched(target)


def test_a_file_appearing_during_the_write_is_not_replaced(tmp_path):
    """Another program creates the file while ours is being written."""
    target = tmp_path / "book.xlsx"

    def write(tmp: Path) -> None:
        tmp.write_bytes(b"ours")
        user_file(target)

    with pytest.raises(OutputExistsError):
        write_atomically(target, write)
    assert_untouched(target)
    assert leftovers(tmp_path, {target.name}) == []


@pytest.mark.parametrize("bad", ["folder", "missing parent"])
def test_unusable_output_path_is_code_4_and_writes_nothing(capsys, tmp_path, csvs, bad):
    out = tmp_path / "out.xlsx"
    if bad == "folder":
        out.mkdir()
    else:
        out = tmp_path / "no such folder" / "out.xlsx"
    code, err = run(capsys, "universe", csvs["panel"], "--out", out, "--force")
    assert code == cli.EXIT_WRITE, err
    assert_one_line(err)
    assert leftovers(tmp_path, {"out.xlsx"}) == []


# ----------------------------------------------------------------------------------------
# writes that fail
# ----------------------------------------------------------------------------------------

def _disk_full_during_xlsx(monkeypatch):
    """XlsxWriter writes part of the file, then the disk is full (XlsxWriter itself turns
    the OSError into its FileCreateError, as it does for a real full disk)."""
    def store(self):
        Path(self.filename).write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(xlsxwriter.Workbook, "_store_workbook", store)


def _disk_full_during_text(monkeypatch):
    real = Path.write_text

    def write_text(self, data, *a, **k):
        real(self, data[: len(data) // 2], *a, **k)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", write_text)


def _rename_fails(monkeypatch):
    def replace(src, dst, *a, **k):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(files_module.os, "replace", replace)


@pytest.mark.parametrize("command", FAILING_COMMANDS)
@pytest.mark.parametrize("failure", ["disk full", "rename fails"])
def test_failed_write_keeps_the_original(capsys, tmp_path, csvs, monkeypatch, command, failure):
    args = _commands(csvs, tmp_path / "out")[command]
    target = user_file(Path(args[-1]))
    if failure == "rename fails":
        _rename_fails(monkeypatch)
    elif target.suffix == ".xlsx":
        _disk_full_during_xlsx(monkeypatch)
    else:
        _disk_full_during_text(monkeypatch)
    code, err = run(capsys, *args, "--force")
    assert_untouched(target)
    assert leftovers(tmp_path, {target.name}) == []
    assert_one_line(err)
    assert code == cli.EXIT_WRITE, err


def test_failed_write_of_a_new_file_leaves_nothing(capsys, tmp_path, csvs, monkeypatch):
    _disk_full_during_xlsx(monkeypatch)
    code, err = run(capsys, "universe", csvs["panel"], "--out", tmp_path / "new.xlsx")
    assert leftovers(tmp_path, set()) == []
    assert code == cli.EXIT_WRITE, err


def test_interrupted_write_keeps_the_original(capsys, tmp_path, csvs, monkeypatch):
    target = user_file(tmp_path / "out.xlsx")

    def store(self):
        Path(self.filename).write_bytes(b"PK partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(xlsxwriter.Workbook, "_store_workbook", store)
    code, err = run(capsys, "universe", csvs["panel"], "--out", target, "--force")
    assert code == cli.EXIT_INTERRUPTED, err
    assert_untouched(target)
    assert leftovers(tmp_path, {target.name}) == []


def test_builder_failed_write_keeps_the_original(tmp_path, monkeypatch):
    target = user_file(tmp_path / "book.xlsx")
    _disk_full_during_xlsx(monkeypatch)
    with pytest.raises((OSError, FileCreateError)):
        build_workbook(target, force=True, funds=1, rows=300)
    assert_untouched(target)
    assert leftovers(tmp_path, {target.name}) == []


# The real thing, in a process of its own: a file-size limit makes the operating system
# refuse the write (as a full disk does), or kill the process in the middle of it.
_LIMITED = textwrap.dedent("""
    import resource, signal, sys
    from xlwings_udfs import cli
    limit, kill = int(sys.argv[1]), sys.argv[2] == "kill"
    # Python ignores SIGXFSZ, so an oversized write fails with EFBIG; restoring the default
    # makes the kernel kill the process in the middle of the write instead.
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL if kill else signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    sys.exit(cli.main(sys.argv[3:]))
""")


def _run_limited(limit: int, kill: bool, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", _LIMITED, str(limit), "kill" if kill else "fail",
                           *map(str, args)], capture_output=True, text=True, timeout=300, env=env,
                          cwd=ROOT)


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs POSIX file-size limits")
@pytest.mark.parametrize("command", ["universe xlsx", "template"])
def test_file_size_limit_keeps_the_original(tmp_path, csvs, command):
    args = _commands(csvs, tmp_path / "out")[command]
    target = user_file(Path(args[-1]))
    proc = _run_limited(4096, False, *args, "--force")
    assert_untouched(target)
    assert leftovers(tmp_path, {target.name}) == []
    assert_one_line(proc.stderr)
    assert proc.returncode == cli.EXIT_WRITE, (proc.returncode, proc.stderr[-2000:])


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs POSIX file-size limits")
def test_killed_mid_write_keeps_the_original(tmp_path, csvs):
    target = user_file(tmp_path / "out.xlsx")
    proc = _run_limited(4096, True, "universe", csvs["panel"], "--out", target, "--force")
    assert proc.returncode == -signal.SIGXFSZ, (proc.returncode, proc.stderr[-2000:])
    assert_untouched(target)
    # A killed process cannot clean up; what it leaves is a hidden temporary file, never a
    # half-written file under the user's name, and it does not stop the next write.
    for name in leftovers(tmp_path, {target.name}):
        assert name.startswith(".") and name.endswith(".tmp"), name
    assert cli.main(["universe", str(csvs["panel"]), "--out", str(target), "--force"]) == cli.EXIT_OK
    _is_complete(target)


# ----------------------------------------------------------------------------------------
# a user's text stays text
# ----------------------------------------------------------------------------------------

def _sheet_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist()
                if n.startswith("xl/worksheets/sheet")}


def test_fund_names_from_a_csv_are_written_as_text(capsys, tmp_path, csvs):
    out = tmp_path / "universe.xlsx"
    code, err = run(capsys, "universe", csvs["panel"], "--out", out)
    assert code == cli.EXIT_OK, err
    for name, xml in _sheet_xml(out).items():
        assert "<f>" not in xml and "<f " not in xml, f"{name} holds a formula"
    ws = openpyxl.load_workbook(out).worksheets[0]
    names = [ws.cell(r, 1) for r in range(2, ws.max_row + 1)]
    assert sorted(c.value for c in names) == sorted(NASTY)
    for c in names:
        assert c.data_type == "s", (c.value, c.data_type)
    # and no other cell of the sheet is a formula or an error either
    for row_ in ws.iter_rows():
        for c in row_:
            assert c.data_type in ("s", "n"), (c.coordinate, c.value, c.data_type)


def test_no_user_text_becomes_a_formula_in_any_written_workbook(capsys, tmp_path, csvs):
    """Every .xlsx the command line writes: formulas only where the template puts its own."""
    out = tmp_path / "universe.xlsx"
    assert run(capsys, "universe", csvs["panel"], "--out", out)[0] == cli.EXIT_OK
    text = " ".join(_sheet_xml(out).values())
    for name in NASTY:
        if name[0] in "=+-@":
            body = re.escape(name[1:].replace("&", "&amp;").replace('"', "&quot;"))
            assert not re.search(r"<f[^>]*>" + body, text), name
