"""ETF cost analytics for Excel, on xlwings."""
__version__ = "0.1.0"
