"""Render a workbook to PNG pages through LibreOffice, the way Excel would show it.

LibreOffice does not recalculate an .xlsx on load, but it does recalculate array formulas,
and it does not know the ``ETF_`` functions, so the workbook itself would render #NAME? in
every spilled cell. This script therefore renders a *values-only copy*: each formula is
removed from the sheet XML and its cached result kept, which is what Excel shows before the
add-in is connected. Then ``soffice --convert-to pdf`` (one page per sheet) and ``pdftoppm``.

Usage::

    python benchmarks/render_workbook.py workbook/etf_cost_analytics.xlsx --out build/render
    python benchmarks/render_workbook.py workbook/etf_cost_analytics.xlsx --out build/render \\
        --picture "Fund Comparison" workbook/comparison.png

Needs ``soffice`` (LibreOffice Calc) and ``pdftoppm`` (poppler) on the PATH.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

__all__ = ["values_only_copy", "render", "sheet_names"]

_CELL = re.compile(r"<c\b([^>]*?)(/>|>(.*?)</c>)", re.S)
_FORMULA = re.compile(r"<f\b[^>]*/>|<f\b[^>]*>.*?</f>", re.S)
_VALUE = re.compile(r"<v>(.*?)</v>", re.S)
_SHEET = re.compile(r'<sheet\b[^>]*\bname="([^"]*)"')


def _strip_cell(m: re.Match) -> str:
    attrs, body = m.group(1), m.group(3)
    if body is None or "<f" not in body:
        return m.group(0)
    attrs = re.sub(r'\s+cm="[^"]*"', "", attrs)
    body = _FORMULA.sub("", body)
    if re.search(r'\bt="str"', attrs):
        v = _VALUE.search(body)
        text = v.group(1) if v else ""
        attrs = re.sub(r'\bt="str"', 't="inlineStr"', attrs)
        return f'<c{attrs}><is><t xml:space="preserve">{text}</t></is></c>'
    if not _VALUE.search(body):
        return f"<c{attrs}/>"
    return f"<c{attrs}>{body}</c>"


def values_only_copy(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Copy an .xlsx with every formula replaced by its cached value."""
    dst = Path(dst)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/calcChain.xml":
                continue
            if item.filename.startswith("xl/worksheets/sheet") and item.filename.endswith(".xml"):
                data = _CELL.sub(_strip_cell, data.decode("utf-8")).encode("utf-8")
            zout.writestr(item, data)
    return dst


def sheet_names(path: str | os.PathLike) -> list[str]:
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/workbook.xml").decode("utf-8")
    from html import unescape

    return [unescape(n) for n in _SHEET.findall(xml)]


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")


def _values_pdf(workbook: str | os.PathLike, tmp: Path) -> Path:
    """A values-only copy of ``workbook`` exported by LibreOffice to ``tmp/values.pdf``, one
    page a sheet."""
    for tool in ("soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not on the PATH (install LibreOffice Calc and poppler-utils)")
    copy = values_only_copy(workbook, tmp / "values.xlsx")
    profile = (tmp / "profile").resolve().as_uri()
    export = 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'
    _run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", export,
          "--outdir", str(tmp), str(copy)])
    return tmp / "values.pdf"


def render(workbook: str | os.PathLike, out: str | os.PathLike, dpi: int = 110) -> list[Path]:
    """Render every sheet of ``workbook`` to ``out/<n>-<sheet>.png``; returns the PNG paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names = sheet_names(workbook)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pdf = _values_pdf(workbook, tmp)
        _run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(tmp / "page")])
        pages = sorted(tmp.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
        paths = []
        for i, page in enumerate(pages):
            label = names[i] if i < len(names) else f"page{i + 1}"
            slug = re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-").lower()
            target = out / f"{i + 1:02d}-{slug}.png"
            shutil.move(str(page), target)
            paths.append(target)
    return paths


def picture(workbook: str | os.PathLike, sheet: str, target: str | os.PathLike, width: int = 1600,
            max_bytes: int = 300_000) -> Path:
    """One sheet as a PNG of ``width`` pixels, shrunk until it is at most ``max_bytes``."""
    names = sheet_names(workbook)
    page = names.index(sheet) + 1
    target = Path(target)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pdf = _values_pdf(workbook, tmp)
        while True:
            _run(["pdftoppm", "-f", str(page), "-l", str(page), "-singlefile", "-png",
                  "-scale-to-x", str(width), "-scale-to-y", "-1", str(pdf), str(tmp / "pic")])
            png = tmp / "pic.png"
            if png.stat().st_size <= max_bytes or width <= 600:
                break
            width = int(width * 0.85)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, target)
    return target


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Render a workbook (values only) to PNG pages with LibreOffice.")
    p.add_argument("workbook", type=Path)
    p.add_argument("--out", type=Path, default=Path("build/render"), help="folder for the PNG pages")
    p.add_argument("--dpi", type=int, default=110)
    p.add_argument("--picture", nargs=2, metavar=("SHEET", "PNG"), action="append", default=[],
                   help="also write a sheet as a picture of at most 300 KB (for the README); repeatable")
    p.add_argument("--width", type=int, default=1600, help="width of --picture in pixels")
    args = p.parse_args(argv)
    try:
        for path in render(args.workbook, args.out, args.dpi):
            print(path)
        for sheet, png in args.picture:
            path = picture(args.workbook, sheet, png, width=args.width)
            print(f"{path} ({path.stat().st_size // 1024} KB)")
    except (RuntimeError, OSError, ValueError) as err:
        print(f"render_workbook: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
