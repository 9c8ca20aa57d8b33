"""The package as the hosts install it: the lean wheel, and the numpy and pandas of Pyodide.

Each test builds the wheel from a copy of the sources (so that the checkout gets no build
files), makes a fresh virtual environment and installs into it with pip, from the package
index (network needed):

* **lean install**: ``pip install <wheel>`` with no extra must bring numpy, pandas, xlwings
  and bidask and what they depend on, nothing else (no rich, openpyxl or XlsxWriter: the
  command line and the workbook builder are the ``cli`` extra), and the functions must
  import and answer with only those. xlwings Lite installs exactly what the wheel declares.
* **Pyodide's versions**: xlwings Lite runs the functions in Pyodide, whose numpy and pandas
  are older than PyPI's: Pyodide 0.27 ships numpy 2.0.2 and pandas 2.2.3 on Python 3.12,
  Pyodide 0.29 numpy 2.2.5 and pandas 2.3.3 on Python 3.13. The tests of the functions and
  the Excel layer (:data:`FUNCTION_TESTS`) are run once more in a venv of that Python with
  those versions. The interpreter is looked up among pyenv's versions and on PATH; when
  there is none the test is skipped, except under CI (``CI=true``), where it fails.
"""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
DIST = "xlwings-etf-analytics"

#: What the functions need at run time (``[project] dependencies``).
LEAN = {"numpy", "pandas", "xlwings", "bidask"}
#: What only the command line and the workbook builder use (the ``cli`` extra).
CLI_ONLY = {"rich", "openpyxl", "xlsxwriter"}
#: pip's own, present in every new venv.
VENV_BASE = {"pip", "setuptools", "wheel"}

#: The test files that exercise ``functions.py`` and the Excel layer (``cells.py``, the
#: ``excel`` package, the cache, the Office.js call path), and the analytics they stand on.
FUNCTION_TESTS = [
    "test_functions.py", "test_cells.py", "test_excel_args.py", "test_excel_calls.py",
    "test_excel_results.py", "test_excel_series.py", "test_excel_udf.py", "test_cache.py",
    "test_office_js.py", "test_invariants.py", "test_properties.py", "test_figures.py",
    "test_load.py", "test_tracking.py", "test_cost.py", "test_impact.py", "test_returns.py",
    "test_real_data.py", "test_model.py", "test_dates.py", "test_decision.py",
]
#: The test tools those files import (besides the package and its dependencies).
TEST_TOOLS = ["pytest>=7.4", "hypothesis>=6.90", "formulas==1.3.4"]

PYODIDE = {
    "pyodide-0.27": ("3.12", {"numpy": "2.0.2", "pandas": "2.2.3"}),
    "pyodide-0.29": ("3.13", {"numpy": "2.2.5", "pandas": "2.3.3"}),
}


def _run(cmd, *, timeout=1200, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kwargs)
    assert proc.returncode == 0, (f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
                                  f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def _clean_env() -> dict[str, str]:
    """Our environment without what would make a venv's Python import from elsewhere."""
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
            and not k.startswith("XLWINGS_")}


def _venv(base_python: str, path: Path) -> Path:
    _run([base_python, "-m", "venv", path], env=_clean_env())
    return path / "bin" / "python"


def _pip_install(python: Path, *args, cwd: Path) -> None:
    _run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
         cwd=cwd, env=_clean_env())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The package's wheel, built from a copy of the sources."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for lic in ROOT.glob("LICEN[CS]E*"):
        shutil.copy2(lic, src / lic.name)
    shutil.copytree(ROOT / "xlwings_udfs", src / "xlwings_udfs",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--disable-pip-version-check",
          "-w", tmp / "dist", src], cwd=tmp, env=_clean_env())
    (whl,) = (tmp / "dist").glob("xlwings_etf_analytics-*.whl")
    return whl


# ----------------------------------------------------------------------------------------
# the lean install
# ----------------------------------------------------------------------------------------

_INSTALLED = """
import json
from importlib.metadata import distributions
print(json.dumps({d.metadata["Name"]: d.requires or [] for d in distributions()}))
"""

_USE_THE_FUNCTIONS = """
import sys
from xlwings_udfs.functions import *  # noqa: F401,F403
import xlwings_udfs
from xlwings_udfs.data import load_cn_etf, sample_panel

assert "site-packages" in xlwings_udfs.__file__, xlwings_udfs.__file__
nav, index = sample_panel("nav"), sample_panel("index")
fund = [[v] for v in nav["SYN-SP500A"].tolist()]
bench = [[v] for v in index["SYN-SP500A"].tolist()]
dates = [[d.to_pydatetime()] for d in nav.index]
ehc = ETF_HOLDING_COST(fund, bench, dates)
assert isinstance(ehc, float) and -0.05 < ehc < 0.05, ehc
cost = ETF_TOTAL_COST(1_000_000, 3, 10, -0.0023, 0.0012, None, None, "morningstar")
assert len(cost) == 1 and len(cost[0]) == 4 and cost[0][0] < 0, cost
cn = load_cn_etf()
spread = ETF_SPREAD(*[[[v] for v in cn[c].tolist()] for c in ("open", "high", "low", "close")])
assert isinstance(spread, float) and spread > 0, spread
bad = ETF_HOLDING_COST([[1.0], ["x"]] + fund[2:], bench, dates)
assert isinstance(bad, str) and bad.startswith("#VALUE! fund:"), bad
loaded = sorted(m for m in ("rich", "openpyxl", "xlsxwriter") if m in sys.modules)
assert not loaded, loaded
print("ok", ehc, cost[0][0], spread)
"""


def _closure(installed: dict[str, list[str]], root: str) -> set[str]:
    """Distributions ``root`` needs, by its requirements without extras, transitively."""
    names = {canonicalize_name(k): v for k, v in installed.items()}
    seen, todo = set(), [canonicalize_name(root)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for spec in names.get(name, []):
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            todo.append(canonicalize_name(req.name))
    return seen


def test_the_wheel_installs_only_what_the_functions_need(wheel, tmp_path):
    python = _venv(sys.executable, tmp_path / "venv")
    _pip_install(python, wheel, cwd=tmp_path)
    installed = json.loads(_run([python, "-c", _INSTALLED], cwd=tmp_path, env=_clean_env()).stdout)
    have = {canonicalize_name(n) for n in installed}
    by_name = {canonicalize_name(k): v for k, v in installed.items()}
    direct = {canonicalize_name(Requirement(r).name) for r in by_name[DIST]
              if Requirement(r).marker is None}
    assert direct == LEAN
    assert not have & CLI_ONLY, have & CLI_ONLY
    needed = _closure(installed, DIST)
    assert have - VENV_BASE == needed, (sorted(have - VENV_BASE - needed), sorted(needed - have))
    out = _run([python, "-c", _USE_THE_FUNCTIONS], cwd=tmp_path, env=_clean_env()).stdout
    assert out.startswith("ok"), out
    # The command line says which extra it needs, with its own exit code.
    script = Path(python).parent / "etf-analytics"
    proc = subprocess.run([str(script), "demo", "--no-workbook"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env=_clean_env())
    assert proc.returncode == 6, proc.stderr
    assert proc.stderr.strip().endswith('pip install "xlwings-etf-analytics[cli]"'), proc.stderr


def test_the_cli_extra_brings_the_command_line_libraries(wheel, tmp_path):
    """``pip install "<wheel>[cli]"``: rich, openpyxl and XlsxWriter, and etf-analytics runs."""
    python = _venv(sys.executable, tmp_path / "venv")
    _pip_install(python, f"{DIST}[cli] @ {wheel.as_uri()}", cwd=tmp_path)
    installed = json.loads(_run([python, "-c", _INSTALLED], cwd=tmp_path, env=_clean_env()).stdout)
    assert CLI_ONLY | LEAN <= {canonicalize_name(n) for n in installed}
    out = _run([python.with_name("etf-analytics"), "template", "--out", tmp_path / "book.xlsx"],
               cwd=tmp_path, env=_clean_env())
    assert (tmp_path / "book.xlsx").stat().st_size > 10_000, out.stdout


# ----------------------------------------------------------------------------------------
# Pyodide's numpy and pandas
# ----------------------------------------------------------------------------------------

def _python_version(python: str) -> str | None:
    try:
        proc = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=60, env=_clean_env())
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` ("3.12"): pyenv's newest of that series, or pythonX.Y on PATH."""
    roots = [os.environ.get("PYENV_ROOT"), str(Path.home() / ".pyenv"), "/root/.pyenv"]
    candidates = []
    for root in dict.fromkeys(r for r in roots if r):
        found = glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", "python"))
        found.sort(key=lambda p: [int(x) for x in re.findall(r"\d+", Path(p).parents[1].name)], reverse=True)
        candidates += found
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    for python in candidates:
        if _python_version(python) == version:
            return python
    return None


@pytest.mark.parametrize("pyodide", sorted(PYODIDE))
def test_the_functions_tests_pass_with_pyodides_numpy_and_pandas(wheel, tmp_path, pyodide):
    version, pins = PYODIDE[pyodide]
    base = find_python(version)
    if base is None:
        message = (f"no Python {version} found (pyenv versions or python{version} on PATH): "
                   f"cannot test with {pyodide}'s numpy {pins['numpy']} and pandas {pins['pandas']}")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    python = _venv(base, tmp_path / "venv")
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("".join(f"{name}=={v}\n" for name, v in pins.items()))
    _pip_install(python, "-c", constraints, *(f"{n}=={v}" for n, v in pins.items()), wheel, *TEST_TOOLS,
                 cwd=tmp_path)
    versions = json.loads(_run([python, "-c", "import json, sys, numpy, pandas; print(json.dumps("
                                "[sys.version_info[:2], numpy.__version__, pandas.__version__]))"],
                               cwd=tmp_path, env=_clean_env()).stdout)
    assert versions == [[int(x) for x in version.split(".")], pins["numpy"], pins["pandas"]]
    # From a folder outside the checkout, so that the package is the installed wheel
    # (the Office.js tests' subprocesses put the checkout first, as they always do).
    proc = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", ROOT / "pyproject.toml",
         "--rootdir", ROOT, *(TESTS / f for f in FUNCTION_TESTS)],
        capture_output=True, text=True, timeout=2400, cwd=tmp_path, env=_clean_env(),
        stdin=subprocess.DEVNULL)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    assert proc.returncode == 0, f"{pyodide} ({versions}): {summary}\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
    assert " passed" in summary and "failed" not in summary, summary
