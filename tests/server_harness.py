"""A real xlwings Server on 127.0.0.1, and a client that calls it as Excel's add-in does.

Used by ``tests/test_xlwings_server.py`` and ``benchmarks/bench_server.py``. Standard
library only (besides xlwings-server itself, in the server's environment).

The server is set up as the README tells a user to:

1. ``xlwings-server init DIR`` makes a project in a temporary folder;
2. the project's custom-functions module, ``DIR/custom_functions/functions.py``, gets the
   README's one line, ``from xlwings_udfs.functions import *  # noqa: F401,F403``;
3. the app is served with ``XLWINGS_LICENSE_KEY=noncommercial`` (accepted for
   noncommercial use, as here).

``xlwings-server`` with no subcommand always serves on port 8000 with auto-reload, so the
harness runs what it runs without those two: ``python -m uvicorn xlwings_server.main:main_app``
in the project folder with ``XLWINGS_PROJECT_DIR`` set, on a free port, in a process group
of its own. It waits until the function metadata answers and stops the whole group by its
id when the ``with`` block ends, whether the block finished or raised.

``init`` writes a ``.env`` with ``XLWINGS_ENVIRONMENT="dev"``; outside "prod" the add-in's
manifest appends the environment to the functions' namespace (``XLWINGS_DEV.ETF_...``).
``running_server(environment="prod")`` (the default) overrides it through the environment,
which takes precedence over ``.env``, so the namespace is the production one, ``XLWINGS``;
``environment=None`` leaves the project as ``init`` made it.

:class:`Client` posts to ``/xlwings/custom-functions-call`` the body the add-in's
JavaScript (``custom-functions-code.js``) builds: ``{client, func_name, args,
caller_address, session_id, culture_info_name, date_format, version, runtime}``, with the
same headers. Every argument is a 2-D array; an omitted optional argument is ``null`` (Excel
passes every declared parameter); dates are serial numbers and error cells Office.js error
objects (:func:`cell`).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

ROOT = Path(__file__).resolve().parents[1]

#: What the README tells a user to write into the project's custom-functions module.
IMPORT_LINE = "from xlwings_udfs.functions import *  # noqa: F401,F403\n"
#: xlwings Server's default functions namespace (setting ``functions_namespace``).
DEFAULT_NAMESPACE = "XLWINGS"
LICENSE_KEY = "noncommercial"
CALL_PATH = "/xlwings/custom-functions-call"
META_PATH = "/xlwings/custom-functions-meta.json"
CODE_PATH = "/xlwings/custom-functions-code.js"
MANIFEST_PATH = "/manifest.xml"

_EPOCH = dt.datetime(1899, 12, 30)
#: Office.js error objects by the error's text (``errorType`` as Excel names them).
_ERROR_TYPES = {"#N/A": "NotAvailable", "#DIV/0!": "Div0", "#VALUE!": "Value", "#REF!": "Ref",
                "#NAME?": "Name", "#NUM!": "Num", "#NULL!": "Null", "#SPILL!": "Spill",
                "#CALC!": "Calc", "#FIELD!": "Field", "#BUSY!": "Busy", "#CONNECT!": "Connect",
                "#BLOCKED!": "Blocked"}


class ServerError(RuntimeError):
    """The server could not be set up or did not start; the message ends with its log."""


# ----------------------------------------------------------------------------------------
# cells as Office.js sends them
# ----------------------------------------------------------------------------------------

def error_object(code: str) -> dict:
    """An error cell as Office.js passes it: ``{"type": "Error", ..., "errorType": ...}``."""
    return {"type": "Error", "basicType": "Error", "basicValue": code, "errorType": _ERROR_TYPES[code]}


def serial(value: dt.date | dt.datetime) -> float | int:
    """Excel's serial number of a date (1900 date system, as Office.js sends date cells)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    days = (value - _EPOCH) / dt.timedelta(days=1)
    return int(days) if days == int(days) else days


def cell(value: Any, *, is_error: bool = False) -> Any:
    """One cell's value as Office.js sends it.

    Empty cells are ``""``, dates serial numbers, errors (``is_error``, or the text of an
    error when ``is_error`` is set) error objects; numbers, text and booleans pass as they are.
    """
    if is_error:
        return error_object(value)
    if value is None:
        return ""
    if isinstance(value, (dt.datetime, dt.date)):
        return serial(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN: an empty cell
        return ""
    return value


def matrix(value: Any) -> list[list[Any]] | None:
    """An argument as a 2-D array: a scalar -> ``[[v]]``, a flat list -> a column; None stays null."""
    if value is None:
        return None
    if isinstance(value, list):
        if value and all(isinstance(row, list) for row in value):
            return value
        return [[v] for v in value]
    return [[value]]


def column(values: Sequence[Any], header: str | None = None) -> list[list[Any]]:
    """A column of cells (numbers, dates, None or NaN for blanks) as Office.js sends it."""
    return ([[header]] if header is not None else []) + [[cell(v)] for v in values]


# ----------------------------------------------------------------------------------------
# the client
# ----------------------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def result(self) -> Any:
        """The 2-D result of a 200 answer; raises with the message otherwise."""
        if self.status != 200:
            raise AssertionError(f"HTTP {self.status}: {self.text[:500]}")
        return self.json()["result"]


class Client:
    """Calls one server over one keep-alive connection, as a browser would.

    Not thread-safe: give each thread its own client (they are cheap).
    """

    def __init__(self, host: str, port: int, *, workbook: str = "etf_cost_analytics.xlsx",
                 session_id: str = "xlwings-etf-analytics-tests", timeout: float = 300.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.workbook = workbook
        self.session_id = session_id
        self._conn: http.client.HTTPConnection | None = None
        self._n_params: dict[str, int] | None = None
        self.xlwings_version = ""

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Response:
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, path, body=body, headers=headers or {})
                r = self._conn.getresponse()
                return Response(r.status, r.getheader("Content-Type", ""), r.read())
            except (ConnectionError, http.client.RemoteDisconnected, http.client.CannotSendRequest,
                    http.client.BadStatusLine):
                # a keep-alive connection the server closed meanwhile: reconnect once
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def meta(self) -> dict:
        """The functions' metadata, as the add-in loads it (``custom-functions-meta.json``)."""
        r = self.get(META_PATH)
        if r.status != 200:
            raise AssertionError(f"metadata: HTTP {r.status}: {r.text[:500]}")
        return r.json()

    def manifest(self) -> str:
        r = self.get(MANIFEST_PATH)
        if r.status != 200:
            raise AssertionError(f"manifest: HTTP {r.status}: {r.text[:500]}")
        return r.text

    def functions_code(self) -> str:
        r = self.get(CODE_PATH)
        if r.status != 200:
            raise AssertionError(f"custom-functions-code.js: HTTP {r.status}: {r.text[:500]}")
        return r.text

    def _parameter_counts(self) -> dict[str, int]:
        if self._n_params is None:
            self._n_params = {f["name"].upper(): len(f["parameters"]) for f in self.meta()["functions"]}
        return self._n_params

    def body(self, func_name: str, args: Sequence[Any], caller_address: str | None = "Sheet1!A1") -> dict:
        """The JSON body the add-in posts for ``=func_name(args...)``.

        ``args`` are 2-D arrays, scalars (made ``[[v]]``) or None (an omitted argument,
        ``null``). Like Excel, the call passes every parameter the function declares, so
        trailing omitted ones are added as ``null``.
        """
        args = [matrix(a) for a in args]
        n = self._parameter_counts().get(func_name.upper())
        if n is not None and len(args) < n:
            args += [None] * (n - len(args))
        return {
            "client": "Office.js",
            "func_name": func_name,
            "args": args,
            "caller_address": f"[{self.workbook}]{caller_address}" if caller_address else None,
            "session_id": self.session_id,
            "culture_info_name": "en-US",
            "date_format": "M/d/yyyy",
            "version": self.xlwings_version or _xlwings_version(),
            "runtime": "1.4",
        }

    def call(self, func_name: str, args: Sequence[Any], caller_address: str | None = "Sheet1!A1") -> Response:
        """Post one call to ``/xlwings/custom-functions-call`` with the add-in's headers."""
        payload = json.dumps(self.body(func_name, args, caller_address), allow_nan=False).encode()
        headers = {"Content-Type": "application/json", "Authorization": "", "Auth-Provider": ""}
        return self.request("POST", CALL_PATH, payload, headers)


def _xlwings_version() -> str:
    try:
        from importlib.metadata import version

        return version("xlwings")
    except Exception:  # the version only goes into the body, as the add-in sends it
        return "0.0.0"


def manifest_namespace(manifest: str) -> str | None:
    """The functions' namespace a manifest declares (``Functions.Namespace``), or None."""
    if "<Namespace " not in manifest:
        return None
    m = re.search(r'<bt:String\s+id="Functions\.Namespace"\s+DefaultValue="([^"]*)"', manifest)
    return m.group(1) if m else None


# ----------------------------------------------------------------------------------------
# the server
# ----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(python: str) -> list[str]:
    """The ``xlwings-server`` command of the interpreter ``python``."""
    script = Path(python).with_name("xlwings-server")
    if script.exists():
        return [str(script)]
    return [python, "-c", "import sys; from xlwings_server.cli import main; sys.argv[0] = 'xlwings-server'; main()"]


def init_project(project: Path, *, python: str = sys.executable, env: dict | None = None) -> Path:
    """``xlwings-server init PROJECT``, then the README's import line as the functions module."""
    proc = subprocess.run(_cli(python) + ["init", str(project)], cwd=project.parent, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    if proc.returncode != 0 or not (project / "custom_functions").is_dir():
        raise ServerError(f"xlwings-server init failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    (project / "custom_functions" / "functions.py").write_text(IMPORT_LINE)
    return project


def server_environment(project: Path, environment: str | None = "prod",
                       extra: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: ours without XLWINGS_* settings, plus what the project needs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS_") and k != "DOTENV_PATH"}
    env.update({
        "XLWINGS_LICENSE_KEY": LICENSE_KEY,
        "XLWINGS_PROJECT_DIR": str(project),
        # the checkout under test first, as in tests/test_office_js.py
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        "PYTHONUNBUFFERED": "1",
    })
    if environment is not None:
        env["XLWINGS_ENVIRONMENT"] = environment
    env.update(extra or {})
    return env


class Server:
    """A running server: its process, address and log. Made by :func:`running_server`."""

    def __init__(self, project: Path, port: int, proc: subprocess.Popen, log: Path) -> None:
        self.project, self.port, self.proc, self.log = project, port, proc, log
        self.host = "127.0.0.1"

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self, **kwargs) -> Client:
        return Client(self.host, self.port, **kwargs)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"the server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with self.client(timeout=5) as c:
                    if c.get(META_PATH).status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise ServerError(f"the server did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server's process group: SIGTERM, then SIGKILL if it lingers."""
        if os.name == "posix":
            for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(wait)
                except subprocess.TimeoutExpired:
                    continue
                if not group_alive(self.proc.pid):
                    break
                time.sleep(0.2)  # the leader is gone; give its children a moment, then KILL
        else:  # pragma: no cover - the tests run on Linux
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)


def group_alive(pgid: int) -> bool:
    """Whether any process of the process group ``pgid`` is still there."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def running_server(folder: Path | None = None, *, environment: str | None = "prod",
                   python: str = sys.executable, workers: int = 1, extra_env: dict | None = None,
                   timeout: float = 90.0) -> Iterator[Server]:
    """Init a project in ``folder`` (a temporary one by default), serve it, stop it at the end.

    ``environment``: the ``XLWINGS_ENVIRONMENT`` to run with (None: what ``init`` wrote in
    ``.env``, which is "dev"). ``workers``: uvicorn worker processes (``xlwings-server``
    itself runs one).
    """
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="xlwings-server-")))
        project = init_project(Path(folder) / "etf-server", python=python)
        env = server_environment(project, environment, extra_env)
        log = Path(folder) / "server.log"
        for attempt in range(3):
            port = free_port()
            cmd = [python, "-m", "uvicorn", "xlwings_server.main:main_app", "--host", "127.0.0.1",
                   "--port", str(port), "--log-level", "warning", "--workers", str(workers)]
            with open(log, "ab") as out:
                out.write(f"$ {' '.join(cmd)}\n".encode())
                proc = subprocess.Popen(cmd, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
            server = Server(project, port, proc, log)
            try:
                server.wait_ready(timeout)
            except ServerError:
                server.stop()
                if attempt < 2 and "address already in use" in server.log_tail().lower():
                    continue  # another process took the free port first
                raise
            break
        try:
            yield server
        finally:
            server.stop()


def ensure_stopped(server: Server) -> None:
    """Raise if anything of the server's process group is still running."""
    if server.proc.poll() is None or group_alive(server.pid):
        raise AssertionError(f"xlwings Server (pid {server.pid}) is still running")


def which_xlwings_server(python: str = sys.executable) -> str | None:
    """The ``xlwings-server`` command beside ``python``, or on PATH."""
    script = Path(python).with_name("xlwings-server")
    return str(script) if script.exists() else shutil.which("xlwings-server")
