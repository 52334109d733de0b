"""FMP bars for the mock provider (shared/PROVIDERS.md section 6).

GET /stable/historical-price-eod/full?symbol=S&from=YYYY-MM-DD&to=YYYY-MM-DD&apikey=K
GET /stable/historical-chart/{1min|5min|15min|30min|1hour}?symbol=S&from=&to=&apikey=K

Answers are flat arrays, NEWEST FIRST, keys in FMP's order (date, open,
low, high, close, volume, then extras). Daily rows carry the session date;
intraday rows a naive New York time at the bar's open. Prices are the
dataset's split-adjusted truth (as Yahoo's), so marketfs builds the same
files from FMP as from Yahoo; adjClose is never sent.

Like the real FMP, long ranges are TRUNCATED SILENTLY, keeping the newest
rows: daily answers hold at most DAILY_MAX_ROWS rows, intraday answers at
most INTRADAY_MAX_SESSIONS sessions' worth (a calendar month has up to 23
sessions, so even a one-month request is sometimes cut: a client must
check coverage). Unknown symbols get 200 []; a missing key 401 like the
fundamentals endpoints; other paths return None (fundamentals.py answers).
"""
from datetime import date, datetime, timedelta

import dataset as D
import fundamentals as F

DAILY_PATH = "/stable/historical-price-eod/full"
CHART_PREFIX = "/stable/historical-chart/"
INTERVALS = {"1min": "1m", "5min": "5m", "15min": "15m", "30min": "30m", "1hour": "1h"}
DAILY_MAX_ROWS = 1500
INTRADAY_MAX_SESSIONS = 21
DEFAULT_DAYS = 5 * 365  # from= missing: about five years back, as FMP


def _error(status, msg):
    return status, {"Error Message": msg}


def _day(s):
    try:
        return date.fromisoformat(s)
    except (TypeError, ValueError):
        return None


def _range(query, now):
    """(from, to) dates of the query, or an error reply."""
    today = D.ny_date(int(now))
    to = _day(query["to"]) if query.get("to") else today
    frm = _day(query["from"]) if query.get("from") else (to and to - timedelta(days=DEFAULT_DAYS))
    if frm is None or to is None:
        return None, None, _error(400, "Invalid date format, expected YYYY-MM-DD (mock)")
    return frm, min(to, today), None


def _daily_row(symbol, b):
    return {"symbol": symbol, "date": b.date.isoformat(), "open": b.open, "low": b.low,
            "high": b.high, "close": b.close, "volume": b.volume,
            "change": round(b.close - b.open, 2),
            "changePercent": round((b.close - b.open) / b.open * 100, 5),
            "vwap": round((b.high + b.low + b.close) / 3, 4)}


def daily(symbol, frm, to, now):
    bars = [b for b in D.yahoo_daily_truth(symbol, frm, to) if D.ny_epoch(b.date) <= now]
    return [_daily_row(symbol, b) for b in reversed(bars[-DAILY_MAX_ROWS:])]


def _chart_row(b):
    when = datetime.fromtimestamp(b.t, D.NY).strftime("%Y-%m-%d %H:%M:%S")
    return {"date": when, "open": b.open, "low": b.low, "high": b.high, "close": b.close,
            "volume": b.volume}


def chart(symbol, interval, frm, to, now):
    """Walk back from `to`, a session at a time, until the row cap is reached."""
    step = D.YAHOO_INTRADAY[interval]
    cap = INTRADAY_MAX_SESSIONS * -(-(6 * 3600 + 1800) // step)
    rows, d = [], to
    while d >= max(frm, D.STOCKS[symbol]) and len(rows) < cap:
        if D.is_session(d):
            day = D.yahoo_intraday_truth(symbol, interval, D.ny_epoch(d, (0, 0)),
                                         D.ny_epoch(d + timedelta(days=1), (0, 0)))
            rows.extend(_chart_row(b) for b in reversed(day) if b.t <= now)
        d -= timedelta(days=1)
    return rows[:cap]


def route(path, query, headers, now, target):
    if path == DAILY_PATH:
        interval = "1d"
    elif path.startswith(CHART_PREFIX):
        interval = path[len(CHART_PREFIX):]
    else:
        return None
    if not (query.get("apikey") or headers.get("apikey")):
        return 401, F.FMP_INVALID_KEY
    symbol = query.get("symbol", "")
    if not symbol:
        return _error(400, "Query Error: symbol is required")
    if interval != "1d" and interval not in INTERVALS:
        return _error(400, f"Invalid interval {interval} (mock: 1min 5min 15min 30min 1hour)")
    frm, to, err = _range(query, now)
    if err:
        return err
    if symbol not in D.STOCKS or frm > to:
        return 200, []
    if interval == "1d":
        return 200, daily(symbol, frm, to, now)
    return 200, chart(symbol, INTERVALS[interval], frm, to, now)
