"""Tiingo bars for the mock provider (PROVIDERS.md section 5).

GET /tiingo/daily/{t}/prices?startDate=&endDate=&resampleFreq=daily&format=json
    EOD rows, RAW prices: open.. = dataset truth * split_factor (exact: cents
    times an integer), volume = adjusted volume // split_factor, adjClose =
    the truth's adjclose, splitFactor = the ratio on a split's ex-date,
    divCash on the dates of dataset.ADJ_STEPS. Dates alternate between the
    two suffix styles Tiingo sends ("T00:00:00+00:00" and "T00:00:00.000Z").
    No startDate: only the latest bar, as the real API does. A session's
    row appears once it has closed.
GET /iex/{t}/prices?startDate=&endDate=&resampleFreq=Nmin|Nhour[&columns=...]
    IEX bars (UTC, bar start) from the intraday truth, only within the
    rolling window (the last IEX_WINDOW_DAYS days) and up to now (the
    forming bar included). No volume unless columns asks for it. At most
    IEX_MAX_BARS rows (the oldest), as a rolling 2000-bar window would.
Auth: `Authorization: Token K` (or ?token=K), as in fundamentals.tiingo().
Tickers are case-insensitive; unknown ones get 404 {"detail": "Error: Ticker 'X' not found"}.
"""
import re
from datetime import date, timedelta
from urllib.parse import unquote

import dataset as D

IEX_WINDOW_DAYS = 7
IEX_MAX_BARS = 2000
FREQ_RE = re.compile(r"^([0-9]+)(min|hour)$", re.IGNORECASE)
# resampleFreq seconds -> the truth's interval name
TRUTH_INTERVALS = {60: "1m", 300: "5m", 900: "15m", 1800: "30m", 3600: "1h"}
EOD_SUFFIXES = ("T00:00:00+00:00", "T00:00:00.000Z")


def _auth_error(query, headers):
    auth = headers.get("authorization")
    if auth is None and not query.get("token"):
        return 401, {"detail": "Please supply a token"}
    if auth is not None and not (auth[:6].lower() == "token " and auth[6:].strip()):
        return 401, {"detail": "Invalid token."}
    return None


def _date(s, default):
    if not s:
        return default
    try:
        return date.fromisoformat(s[:10])
    except ValueError:
        return None


def _cents(x):
    return int(round(x * 100))


def _raw(x, f):
    """A split-adjusted truth price as the raw price: exact cents * f."""
    return _cents(x) * f / 100


def _split_ratio(symbol, d):
    for ex, ratio in D.SPLITS.get(symbol, ()):
        if ex == d:
            return float(ratio)
    return 1.0


def _div_cash(symbol, d, prev):
    """A dividend on each ADJ_STEPS date: the share of the previous raw close
    that the adjustment factor steps by."""
    if prev is None or d not in [until for until, _ in D.ADJ_STEPS.get(symbol, ())]:
        return 0.0
    before, at = D.adj_factor_permille(symbol, prev.date), D.adj_factor_permille(symbol, d)
    return round(_raw(prev.close, D.split_factor(symbol, prev.date)) * (1 - before / at), 2)


def _eod_row(symbol, b, prev, i):
    f = D.split_factor(symbol, b.date)
    ratio = b.adjclose / b.close if b.close else 1.0
    return {"date": b.date.isoformat() + EOD_SUFFIXES[i % 2],
            "close": _raw(b.close, f), "high": _raw(b.high, f), "low": _raw(b.low, f),
            "open": _raw(b.open, f), "volume": b.volume // f,
            "adjClose": b.adjclose, "adjHigh": round(b.high * ratio, 4),
            "adjLow": round(b.low * ratio, 4), "adjOpen": round(b.open * ratio, 4),
            "adjVolume": b.volume, "divCash": _div_cash(symbol, b.date, prev),
            "splitFactor": _split_ratio(symbol, b.date)}


def _closed(d, now):
    return D.ny_epoch(d, D.close_hm(d)) <= now


def eod(symbol, query, now):
    today = D.ny_date(int(now))
    start = _date(query.get("startDate"), None)
    end = _date(query.get("endDate"), today)
    if (query.get("startDate") and start is None) or end is None:
        return 400, {"detail": "Error: startDate/endDate must be YYYY-MM-DD"}
    freq = query.get("resampleFreq", "daily").lower()
    if freq != "daily":
        return 400, {"detail": f"Error: mock serves resampleFreq=daily only, not {freq}"}
    lo = start - timedelta(days=10) if start else today - timedelta(days=10)
    truth = [b for b in D.yahoo_daily_truth(symbol, max(lo, D.STOCKS[symbol]), min(end, today))
             if _closed(b.date, now)]
    rows, prev = [], None
    for b in truth:
        if start is None or b.date >= start:
            rows.append(_eod_row(symbol, b, prev, len(rows)))
        prev = b
    if start is None:
        rows = rows[-1:]
    return 200, rows


def _iex_row(symbol, b, columns):
    f = D.split_factor(symbol, D.ny_date(b.t))
    t = D.datetime.fromtimestamp(b.t, D.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    full = {"open": _raw(b.open, f), "high": _raw(b.high, f), "low": _raw(b.low, f),
            "close": _raw(b.close, f), "volume": b.volume // f}
    row = {"date": t}
    for c in columns:
        if c in full:
            row[c] = full[c]
    return row


def iex(symbol, query, now):
    m = FREQ_RE.match(query.get("resampleFreq", "5min"))
    secs = int(m.group(1)) * (60 if m.group(2).lower() == "min" else 3600) if m else 0
    if secs not in TRUTH_INTERVALS:
        return 400, {"detail": f"Error: mock cannot resample to {query.get('resampleFreq')}"}
    today = D.ny_date(int(now))
    start, end = _date(query.get("startDate"), today), _date(query.get("endDate"), today)
    if start is None or end is None:
        return 400, {"detail": "Error: startDate/endDate must be YYYY-MM-DD"}
    lo = max(D.ny_epoch(start, (0, 0)), int(now) - IEX_WINDOW_DAYS * 86400)
    hi = min(D.ny_epoch(end + timedelta(days=1), (0, 0)), int(now) + 1)
    cols = [c.strip().lower() for c in query.get("columns", "open,high,low,close").split(",")]
    bars = D.yahoo_intraday_truth(symbol, TRUTH_INTERVALS[secs], lo, hi) if lo < hi else []
    return 200, [_iex_row(symbol, b, cols) for b in bars[:IEX_MAX_BARS]]


def route(path, query, headers, now, target):
    seg = [unquote(s) for s in path.split("/")[1:]]
    if len(seg) == 4 and seg[:2] == ["tiingo", "daily"] and seg[3] == "prices":
        kind = eod
    elif len(seg) == 3 and seg[0] == "iex" and seg[2] == "prices":
        kind = iex
    else:
        return None
    refused = _auth_error(query, headers)
    if refused:
        return refused
    ticker = seg[-2].upper()
    if ticker not in D.STOCKS:
        return 404, {"detail": f"Error: Ticker '{seg[-2]}' not found"}
    return kind(ticker, query, now)
