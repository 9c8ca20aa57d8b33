"""Run Excel functions through xlwings' Office.js call path, in a process of its own.

xlwings picks its decorators when it is first imported, so the server flavour needs
``XLWINGS_ON_SERVER=true`` (and a license key) set before that import: the test starts this
script as a subprocess with that environment. It reads ``{"calls": [payload, ...]}`` as JSON
on stdin, sends each payload through ``xlwings.server.custom_functions_call`` as xlwings
Server and xlwings Lite do, and writes JSON to stdout::

    {"meta": custom_functions_meta(...), "host": ..., "results": [{"result": ...} or
     {"error": "XlwingsError", "message": ...}, ...]}
"""
from __future__ import annotations

import asyncio
import json
import os
import sys


def main() -> None:
    if os.environ.get("XLWINGS_ON_SERVER") != "true":
        raise SystemExit("set XLWINGS_ON_SERVER=true and XLWINGS_LICENSE_KEY before running this")
    import xlwings as xw
    import xlwings.server

    from xlwings_udfs import excel, functions

    request = json.load(sys.stdin)
    results = []
    for payload in request.get("calls", []):
        payload = {"client": "Office.js", "caller_address": "[Book1.xlsx]Sheet1!E1",
                   "session_id": "test", "culture_info_name": "en-US", "date_format": "M/d/yyyy",
                   "version": xw.__version__, "runtime": "1.4", **payload}
        try:
            out = asyncio.run(xlwings.server.custom_functions_call(payload, functions))
            results.append({"result": out})
        except Exception as err:  # the server turns these into HTTP errors
            results.append({"error": type(err).__name__, "message": str(err)})
    json.dump({"meta": xlwings.server.custom_functions_meta(functions), "host": excel.host(),
               "results": results}, sys.stdout, default=repr)


if __name__ == "__main__":
    main()
