"""The words of the template: the Start sheet, column notes, table footnotes.

Kept apart from the layout code so the wording can be edited without touching it.
"""
from __future__ import annotations

from .naming import WORKBOOK_FILES

__all__ = ["start_sheet", "COMPARISON_NOTES", "COMPARISON_FOOTER", "TOTAL_COST_NOTES",
           "TOTAL_COST_FOOTER", "WHATIF_FOOTER", "COMPARE_FOOTER", "DATA_NOTE", "CHART_NOTE"]


_HOST_NAMES = {"classic": "classic xlwings", "lite": "xlwings Lite", "server": "xlwings Server"}


def start_sheet(version: str, n_funds: int, first: str, last: str,
                figures: list[tuple[str, str]], host: str, namespace: str) -> list[tuple[str, object]]:
    """The Start sheet as (style, content) lines; a "def" line's content is (term, text).

    ``figures`` are the (label, definition) pairs of the figures the workbook shows, from
    the registry of figures; ``host`` and ``namespace`` say which host this copy is for.
    """
    files = WORKBOOK_FILES
    return [
        ("title", "ETF cost analytics"),
        ("subtitle", "What an ETF really costs its holders: noise-robust holding cost and "
                     "tracking error, market impact and the total cost of a round trip, from "
                     "Python functions called in Excel cells."),
        ("h", "What this workbook is"),
        ("p", f"A worked template. {n_funds} sample funds (daily data, {first} to {last}, on "
              "the Data sheet) are compared on the figures of Morningstar's \"Advanced ETF "
              "Analytics\" (2011). Every figure is a formula calling an =ETF_ function of the "
              "xlwings add-in on named ranges. The results were saved with the file, so the "
              "numbers show without Python; once the add-in is connected, each figure "
              "recalculates when its inputs change."),
        ("p", "Blue figures on a yellow background are inputs: type over them. Everything else "
              "is computed. Red shading marks costs (the deeper, the larger); orange shading "
              "marks large tracking errors and market impact."),
        ("h", "The sheets"),
        ("def", ("Fund Comparison", "One row per fund: holding cost with its 95% interval, "
                 "1-year and rolling tracking differences, the expense ratio (an input), "
                 "noise-robust and traditional tracking error, the noise share, market impact "
                 "cost, beta and R-squared.")),
        ("def", ("Total Cost", "What buying, holding and selling costs in each fund, for the "
                 "trade size, holding period, commission and impact model in the input cells "
                 "(named TRADE_SIZE, HOLDING_YEARS, COMMISSION, IMPACT_MODEL, HALF_SPREAD).")),
        ("def", ("What-If", "For one fund chosen from the drop-down: the cost over holding "
                 "periods and trade sizes, and a chart of its cumulative tracking difference "
                 "with the holding-cost trend.")),
        ("def", ("Compare", "Two funds chosen from drop-downs, for one trade: the holding period at "
                 "which their expected total costs are equal (the break-even), the probability that A "
                 "costs less at 1 to 10 years, and a chart of both costs against the holding period.")),
        ("def", ("Data", "The daily series under one header row, so that whole columns (B:B) "
                 "work too: dates in column A, then per fund its NAV, benchmark level, market "
                 "price and volume. Defined names: DATES, and NAV_, BENCH_, PRICE_, VOLUME_ "
                 "followed by the ticker with - written as _ (NAV_SYN_EMA). Prefer them to whole "
                 "columns on xlwings Server, where every cell of a range travels to the server.")),
        ("def", ("Chart Data", "The series behind the chart (formulas; nothing to enter).")),
        *([("def", ("xlwings.conf", "Tells classic xlwings which Python module holds the "
                    "functions (UDF Modules: xlwings_udfs.functions)."))] if host == "classic" else []),
        ("h", "Connect Python: pick the host you use, and its copy of this workbook"),
        ("p", f"This copy is for {_HOST_NAMES[host]}"
              + (f" with the namespace {namespace}" if host == "server" else "")
              + ". Excel binds each formula by the function name stored in the file, and the "
              "three hosts name the functions differently, so each has its own copy, with the "
              f"same numbers: {files['classic']} for classic xlwings, {files['lite']} for "
              f"xlwings Lite, {files['server']} for xlwings Server."),
        ("def", ("Classic xlwings", "Desktop Excel on Windows, with Python on the same machine "
                 "(on a Mac, use xlwings Lite or Server). Errors show as a message in the cell. "
                 f"Open {files['classic']}.\n"
                 "1. In a copy of this project: pip install . then: xlwings addin install\n"
                 "2. Once: File > Options > Trust Center > Macro Settings > Trust access to the "
                 "VBA project object model.\n"
                 "3. Open the workbook, save it as .xlsm, click Import Functions on the xlwings "
                 "tab. The xlwings.conf sheet names the module; add an Interpreter_Win row "
                 "there to choose a Python.")),
        ("def", ("xlwings Lite", "Free; Python runs inside Excel (Windows, macOS, the web), "
                 "nothing to install locally. Errors, and too little data, show as #VALUE! "
                 f"with the reason on hover. Open {files['lite']}.\n"
                 "1. Home > Add-ins: search xlwings, add xlwings Lite.\n"
                 "2. In its editor: add the package (a pure-Python wheel of this project) to "
                 "requirements.txt, and write in main.py: from xlwings_udfs.functions import *")),
        ("def", ("xlwings Server", "Your own server, reached by Excel over HTTPS (Office.js). "
                 f"Errors show as in xlwings Lite. Open {files['server']}: it calls the functions "
                 "in the namespace XLWINGS, the server's default in production. Another "
                 "namespace (XLWINGS_FUNCTIONS_NAMESPACE) or a non-production environment "
                 "(XLWINGS_ENVIRONMENT=dev makes it XLWINGS_DEV) needs its own copy: "
                 "etf-analytics template --host server --namespace XLWINGS_DEV --out FILE.\n"
                 "1. pip install xlwings-server and this project, then: xlwings-server init "
                 "FOLDER\n"
                 "2. In FOLDER/custom_functions/functions.py write: from xlwings_udfs.functions "
                 "import *\n"
                 "3. Run xlwings-server with your license key and load its manifest in Excel.")),
        ("h", "What each figure means"),
        *[("def", (label, definition)) for label, definition in figures],
        ("def", ("Impact models", "Square-root model: holding part S × ((1 + EHC)^years − 1), "
                 "two commissions, market impact on both trades growing with the square root of "
                 "the size, optional half-spread. Morningstar model: the published arithmetic "
                 "(holding part linear in years, impact MIC × $100,000 × √(S / $100,000), "
                 "charged once).")),
        ("h", "Signs and units"),
        ("p", "Every cost is the investor's return impact: negative costs money. An EHC of "
              "-0.23% means the fund lags its index by 0.23% a year; a total cost of "
              "$(6,996.50) is a loss of $6,996.50. Tracking errors, market impact and the noise "
              "share are magnitudes (zero or more). The expense ratio is entered as published "
              "(positive)."),
        ("p", "Cells hold fractions, formatted as percentages (0.0023 shows as 0.23%); money is "
              "in dollars. Inputs are levels (NAV, index level, price), not returns. Figures "
              "are annualized with the periods a year inferred from the dates (252 for daily "
              "data). A fund is compared with its index on the dates both have; a blank cell "
              "is skipped, never read as zero."),
        ("h", "Your own data"),
        ("p", "Paste your series into a block of the Data sheet (same dates in column A), or "
              "point a formula at your own ranges, e.g. =ETF_HOLDING_COST(B6:B787, C6:C787, "
              "A6:A787). Each function's arguments are described in Excel's function wizard."),
        ("p", "The sample funds are synthetic: simulated with known true parameters, each "
              "shaped after the profile of a real ETF. They are not market data and not "
              "investment advice."),
        ("note", f"Built by xlwings-etf-analytics {version} from its embedded sample."),
        ("version", "Add-in version (connected)"),
    ]


DATA_NOTE = ("Levels, not returns, four columns per fund; blank = no value. Defined names: "
             "DATES and NAV_, BENCH_, PRICE_, VOLUME_ + ticker (NAV_SYN_EMA = the NAV of SYN-EMA). "
             "One header row, then data: whole-column references such as B:B work.")

#: Header notes of the columns that are not figures (a figure's note is its definition).
COMPARISON_NOTES = {
    "ticker": "Ticker (synthetic sample fund).",
    "name": "Fund name.",
}

COMPARISON_FOOTER = (
    "Negative = costs the investor (the fund lags). Red shading deepens with the cost, up to "
    "-1% a year; orange marks larger tracking errors and market impact. Blue on yellow: "
    "inputs. Definitions and conventions: see the Start sheet."
)

TOTAL_COST_NOTES = {
    "TRADE_SIZE": "Dollars invested (bought, later sold).",
    "HOLDING_YEARS": "How long the position is held, in years.",
    "COMMISSION": "Commission paid on each of the two trades, in dollars.",
    "IMPACT_MODEL": "square_root (impact grows with √size, on both trades) or morningstar.",
    "HALF_SPREAD": "Half the bid-ask spread (a fraction), paid on each trade; 0 = none.",
}

TOTAL_COST_FOOTER = (
    "Total cost = holding part (the EHC over the holding period) + two commissions + market "
    "impact + spread; negative costs money. Annual cost: the constant yearly rate that loses "
    "the same. Beyond the expense ratio: annual cost + expense ratio, negative when the fund "
    "costs more than its fee. The 95% bounds are on the dollar total."
)

WHATIF_FOOTER = (
    "Holding periods (column A) and trade sizes (the header row) are inputs. Commission, impact "
    "model and half-spread come from the Total Cost sheet; the fund's figures from Fund "
    "Comparison."
)

CHART_NOTE = (
    "Series behind the chart on the What-If sheet, for the fund chosen there, every fifth "
    "trading day. Cumulative tracking difference: (1 + fund return) / (1 + index return) - 1 "
    "since the first date. Trend: the holding cost compounded over the same periods."
)

COMPARE_FOOTER = (
    "The expected total cost of each fund is ETF_TOTAL_COST's for the trade size here and the "
    "commission, impact model and half-spread of Total Cost. The probability that A costs less "
    "is that of the realized costs: each holding cost's estimation error (which grows with the "
    "holding period squared), the persistent deviations from the index (which grow with it, "
    "correlated as above) and the execution prices; it is one half at the break-even. A small "
    "difference in holding cost is worth little when both estimates are uncertain."
)
