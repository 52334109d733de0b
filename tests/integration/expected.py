"""Test oracle: the exact CSV text marketfs must serve for a file.

This is an INDEPENDENT re-implementation of the serving rules of SPEC
section 2 (complete bars only, null rows dropped, duplicates collapsed,
rows of the file's year only, shortest round-trip numbers), applied to the
truth data of tests/mock/dataset.py that the mock provider serves. It never
calls marketfs code and never talks to the mock server: it reasons from the
truth directly, so the provider hazards (float32 noise, null bars, the live
duplicate row, the bar at period2) simply do not exist here.

    expected_csv(provider, symbol, tf, year, now=None) -> str
    expected_rows(provider, symbol, tf, year, now=None) -> [(timestamp, o, h, l, c, v[, adj])]
    all_years(provider, symbol, tf, now=None) -> [year, ...]

provider: "yahoo" (AAPL, MSFT) or "binance" (BTCUSDT, ETHUSDT); tf: a path
timeframe (1m 5m 15m 30m 1h 4h 1d 1w 1M); now: epoch seconds (the time the
file was fetched), default time.time().

Conventions (documented choices the C side must match):
  * Daily/weekly/monthly timestamps are the exchange-local date of the
    provider's bar (Yahoo: New York date; Binance: UTC date of the open).
    Yahoo 1w bars are labelled with the week's Monday and 1M bars with the
    1st of the month, even when that day is not a session. Pass
    period_date="first_session" to label them with the first session of the
    period instead (SPEC section 2's wording).
  * Completeness: intraday bar t ends at t + length (Yahoo's 15:30 1h bar
    therefore at 16:30); Yahoo 1d ends 16:00 New York of its date, 1w at
    Saturday 00:00 New York after its Monday, 1M at 00:00 New York on the
    1st of the next month; Binance 1d/1w/1M at the open of the next period.
  * Yahoo intraday is limited to bars opening at or after now - window
    (1m 30 days, 5m/15m/30m 60 days, 1h 730 days).
"""

import os
import sys
import time
from datetime import date, datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mock"))
import dataset as D  # noqa: E402

TIMEFRAMES = ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M")
INTRADAY_S = {"1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "4h": 14400}
YAHOO_INTERVAL = {"1m": "1m", "5m": "5m", "15m": "15m", "30m": "30m", "1h": "1h",
                  "1d": "1d", "1w": "1wk", "1M": "1mo"}
HEADER = "timestamp,open,high,low,close,volume"


def _check(provider, symbol, tf):
    if tf not in TIMEFRAMES:
        raise ValueError(f"unknown timeframe {tf!r}")
    if provider == "yahoo":
        if symbol not in D.STOCKS:
            raise ValueError(f"yahoo mock has no symbol {symbol!r}")
        if tf == "4h":
            raise ValueError("Yahoo does not serve 4h (marketfs must resample it)")
    elif provider == "binance":
        if symbol not in D.CRYPTO:
            raise ValueError(f"binance mock has no symbol {symbol!r}")
    else:
        raise ValueError(f"unknown provider {provider!r}")


def _ny_midnight(d):
    """Epoch second of 00:00 New York on date d."""
    return int(datetime(d.year, d.month, d.day, tzinfo=D.NY).timestamp())


def _utc_str(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _yahoo_rows(symbol, tf, year, now, period_date):
    rows = []
    if tf == "1d":
        for b in D.yahoo_daily_truth(symbol, date(year, 1, 1), date(year, 12, 31)):
            if not b.is_null and D.ny_epoch(b.date, (16, 0)) <= now:
                rows.append((b.date.isoformat(), b.open, b.high, b.low, b.close, b.volume, b.adjclose))
    elif tf in ("1w", "1M"):
        interval = YAHOO_INTERVAL[tf]
        for b in D.yahoo_period_truth(symbol, interval, date(year, 1, 1), date(year, 12, 31)):
            if tf == "1w":
                end = b.date + timedelta(days=5)  # Saturday 00:00 New York
            else:
                end = date(b.date.year + b.date.month // 12, b.date.month % 12 + 1, 1)
            if _ny_midnight(end) > now:
                continue
            label = b.date
            if period_date == "first_session":
                label = D.yahoo_daily_truth(symbol, b.date, end)[0].date
            rows.append((label.isoformat(),) + tuple(b[1:]))
    else:
        length = INTRADAY_S[tf]
        lo = max(_utc_year_start(year), int(now) - D.YAHOO_WINDOW_DAYS[tf] * 86400)
        hi = min(_utc_year_start(year + 1), int(now) + 1)
        if lo < hi:
            for b in D.yahoo_intraday_truth(symbol, tf, lo, hi):
                if b.t + length <= now:
                    rows.append((_utc_str(b.t),) + tuple(b[1:]))
    return rows


def _utc_year_start(year):
    return int(datetime(year, 1, 1, tzinfo=timezone.utc).timestamp())


def _binance_rows(symbol, tf, year, now):
    lo_ms, hi_ms = _utc_year_start(year) * 1000, _utc_year_start(year + 1) * 1000
    rows = []
    for b in D.binance_bars(symbol, tf, lo_ms, min(hi_ms, int(now * 1000) + 1)):
        if D.binance_next_open(tf, b.t) > now * 1000:  # still open
            continue
        t = b.t // 1000
        stamp = _utc_str(t) if tf in INTRADAY_S else _utc_str(t)[:10]
        rows.append((stamp,) + tuple(b[1:]))
    return rows


def expected_rows(provider, symbol, tf, year, now=None, period_date="bar"):
    """Rows (timestamp string, open, high, low, close, volume[, adj_close])
    that marketfs must serve in SYMBOL/tf/year.csv.gz when fetched at now."""
    _check(provider, symbol, tf)
    now = time.time() if now is None else now
    if provider == "yahoo":
        rows = _yahoo_rows(symbol, tf, year, now, period_date)
    else:
        rows = _binance_rows(symbol, tf, year, now)
    # Collapse duplicate timestamps (last wins) and sort: a no-op on truth
    # data, kept so the oracle states the rule it checks.
    return sorted({r[0]: r for r in rows}.values(), key=lambda r: r[0])


def has_adj_close(provider, tf):
    """Stocks at 1d/1w/1M carry the adj_close column."""
    return provider == "yahoo" and tf in ("1d", "1w", "1M")


def fmt_number(v, volume=False):
    """Shortest round-trip decimal, no exponent: repr() without its ".0" on
    integral values (SPEC: "185.64", and "153" rather than "153.0")."""
    if float(v).is_integer() and abs(v) < 2**53:
        s = str(int(v))
    else:
        s = repr(float(v))
    assert "e" not in s and "E" not in s and "n" not in s, s
    return s


def expected_csv(provider, symbol, tf, year, now=None, period_date="bar"):
    """The exact uncompressed CSV text of SYMBOL/tf/year.csv.gz."""
    header = HEADER + (",adj_close" if has_adj_close(provider, tf) else "")
    lines = [header]
    for r in expected_rows(provider, symbol, tf, year, now, period_date):
        fields = [r[0]] + [fmt_number(x) for x in r[1:5]] + [fmt_number(r[5], volume=True)]
        fields += [fmt_number(x) for x in r[6:]]
        lines.append(",".join(fields))
    return "\n".join(lines) + "\n"


def all_years(provider, symbol, tf, now=None):
    """Years a timeframe directory must list: from the first year the
    provider can serve at tf (listing year; for Yahoo intraday the UTC year
    of now - window) through the current UTC year. A year may hold no
    complete bar yet (e.g. the current year on Jan 1)."""
    _check(provider, symbol, tf)
    now = time.time() if now is None else now
    current = datetime.fromtimestamp(now, timezone.utc).year
    if provider == "binance":
        first = datetime.fromtimestamp(D.CRYPTO[symbol] // 1000, timezone.utc).year
    elif tf in INTRADAY_S:
        edge = int(now) - D.YAHOO_WINDOW_DAYS[tf] * 86400
        first = max(D.STOCKS[symbol].year, datetime.fromtimestamp(edge, timezone.utc).year)
    else:
        first = D.STOCKS[symbol].year
    return list(range(first, current + 1))
