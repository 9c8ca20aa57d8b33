"""Writing output files safely: never over a user's file unasked, never half-written.

A file is written to a temporary name in the destination folder and moved into place with
:func:`os.replace` only once it is complete, so a failed write leaves the original intact
and a reader never sees a partial file. The temporary file lives in the same folder
because :func:`os.replace` is only atomic within one file system.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

__all__ = ["OutputExistsError", "check_writable", "close_workbook", "write_atomically"]


class OutputExistsError(FileExistsError):
    """The output file exists and overwriting it was not asked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} exists; use --force to overwrite it")
        self.path = path


def check_writable(path: str | os.PathLike, force: bool = False) -> Path:
    """Refuse an existing file unless ``force``, and a folder or a missing parent always.

    Call it before any long computation, so the user learns about a refused output at once.
    """
    p = Path(path)
    if p.is_dir():
        raise IsADirectoryError(f"{p} is a folder; give a file name")
    if p.exists() and not force:
        raise OutputExistsError(p)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"folder {parent} does not exist")
    return p


def write_atomically(path: str | os.PathLike, write: Callable[[Path], None], force: bool = False) -> Path:
    """Write a file through ``write(temporary_path)``, then move it to ``path``.

    Parameters
    ----------
    path : path-like
        Destination.
    write : callable
        Writes the complete file to the path it is given (which already exists, empty).
    force : bool, default False
        Overwrite an existing ``path``. Without it an existing file raises
        :class:`OutputExistsError` and is left untouched.

    Returns
    -------
    Path
        ``path``.

    Notes
    -----
    The existence check is repeated just before the move, which narrows (on POSIX it cannot
    close) the window in which a file created meanwhile by someone else could be replaced.
    Permissions of a replaced file are kept; a new file gets the usual ``0o666 & ~umask``
    rather than the ``0o600`` of a temporary file.
    """
    p = check_writable(path, force)
    parent = p.parent if str(p.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        if p.exists():
            if not force:
                raise OutputExistsError(p)
            mode = p.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return p


def close_workbook(workbook) -> None:
    """Close (and so write) an XlsxWriter workbook, reporting a failed write as OSError.

    XlsxWriter wraps the OSError of a full disk or a file-size limit in its own
    FileCreateError; unwrapping it lets callers treat every failed write alike.
    """
    from xlsxwriter.exceptions import FileCreateError

    try:
        workbook.close()
    except FileCreateError as err:
        cause = err.args[0] if err.args and isinstance(err.args[0], OSError) else None
        raise (cause if cause is not None else OSError(str(err))) from None
