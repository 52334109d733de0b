"""Test oracle: the exact CSV text marketfs must serve for a file.

This is an INDEPENDENT re-implementation of the serving rules of SPEC
section 2 (complete bars only, null rows dropped, duplicates collapsed,
rows of the file's year only, shortest round-trip numbers), applied to the
truth data of tests/mock/dataset.py that the mock provider serves. It never
calls marketfs code and never talks to the mock server: it reasons from the
truth directly, so the provider hazards (float32 noise, null bars, the live
duplicate row, the bar at period2) simply do not exist here.

    expected_csv(provider, symbol, tf, year, now=None, period_date="first_session", omit=()) -> str
    expected_rows(provider, symbol, tf, year, now=None, period_date="first_session", omit=())
        -> [(timestamp, o, h, l, c, v[, adj])]
    all_years(provider, symbol, tf, now=None) -> [year, ...]

provider: "yahoo" (AAPL, MSFT) or "binance" (BTCUSDT, ETHUSDT); tf: a path
timeframe (1m 5m 15m 30m 1h 4h 1d 1w 1M); now: epoch seconds (the time the
file was fetched), default time.time(); omit: dates ("YYYY-MM-DD" or
datetime.date) planted as missing with the mock's "omit" fault.

Conventions (documented choices the C side must match):
  * US stock sessions are NYSE sessions (tests/mock/nyse.py: holidays,
    one-off closures, 13:00 early closes).
  * Daily timestamps are the exchange-local date of the provider's bar
    (Yahoo: New York date; Binance: UTC date of the open).
  * Weekly/monthly timestamps (SPEC section 2: "the date of the first
    session of the period"): by default (period_date="first_session") Yahoo
    1w/1M rows are labelled with the first NYSE session of the ISO week /
    calendar month (not before the symbol's first trade date), although
    Yahoo stamps the Monday / the 1st even when that day is a holiday. The
    label is a calendar fact: a day planted as missing does not move it.
    period_date="bar" keeps Yahoo's Monday / 1st. Binance 1w/1M keep
    Binance's stamps (Monday / 1st, UTC), which are the first sessions of a
    24x7 market anyway. A period's row goes to the file of its label's year.
  * Completeness: intraday bar t ends at t + length (Yahoo's 15:30 1h bar
    therefore at 16:30, the 12:30 bar of a 13:00 early close at 13:30);
    Yahoo 1d ends at the close of its session (16:00 New York, 13:00 on an
    early close), 1w at Saturday 00:00 New York after its Monday, 1M at
    00:00 New York on the 1st of the next month; Binance 1d/1w/1M at the
    open of the next period.
  * Yahoo intraday is limited to bars opening at or after now - window
    (1m 30 days, 5m/15m/30m 60 days, 1h 730 days); on an early close the
    grid ends at 13:00 (1h bars 09:30..12:30, 5m bars to 12:55).
  * omit (the mock's "omit" fault): rows whose exchange-local date (New
    York for Yahoo, UTC of the open for Binance) is omitted are left out;
    Yahoo 1w/1M rows are aggregated from the remaining daily sessions (a
    period with none left has no row). Binance 1w/1M are not aggregates:
    only the kline OPENING on an omitted date (the Monday / the 1st) is
    left out.
"""

import os
import sys
import time
from datetime import date, datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mock"))
import dataset as D  # noqa: E402
import nyse  # noqa: E402

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


def _period_start(tf, d):
    """Monday of d's ISO week (1w) or the 1st of d's month (1M)."""
    return d - timedelta(days=d.weekday()) if tf == "1w" else d.replace(day=1)


def _period_end(tf, start):
    """First day after the period starting at start."""
    if tf == "1w":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def _session_close_epoch(d):
    t = nyse.session_close(d)
    return D.ny_epoch(d, (t.hour, t.minute))


def _yahoo_periods(symbol, tf, year, now, period_date, omit):
    """Yahoo 1w/1M rows, aggregated here from the daily truth (all sessions
    of the period, null days included, omitted days excluded)."""
    first = max(D.STOCKS[symbol], date(year - 1, 12, 1))
    groups = {}
    for b in D.yahoo_daily_truth(symbol, first, date(year + 1, 1, 31)):
        if b.date not in omit:
            groups.setdefault(_period_start(tf, b.date), []).append(b)
    rows = []
    for start in sorted(groups):
        end = _period_end(tf, start)
        complete = end - timedelta(days=2) if tf == "1w" else end  # Saturday / next 1st, 00:00 NY
        if _ny_midnight(complete) > now:
            continue
        label = start
        if period_date == "first_session":
            label = nyse.first_session(max(start, D.STOCKS[symbol]), end - timedelta(days=1))
        elif period_date != "bar":
            raise ValueError(f"period_date must be 'bar' or 'first_session', not {period_date!r}")
        if label.year != year:
            continue
        g = groups[start]
        rows.append((label.isoformat(), g[0].open, max(b.high for b in g), min(b.low for b in g),
                     g[-1].close, sum(b.volume for b in g), g[-1].adjclose))
    return rows


def _yahoo_rows(symbol, tf, year, now, period_date, omit):
    rows = []
    if tf == "1d":
        for b in D.yahoo_daily_truth(symbol, date(year, 1, 1), date(year, 12, 31)):
            if not b.is_null and b.date not in omit and _session_close_epoch(b.date) <= now:
                rows.append((b.date.isoformat(), b.open, b.high, b.low, b.close, b.volume, b.adjclose))
    elif tf in ("1w", "1M"):
        rows = _yahoo_periods(symbol, tf, year, now, period_date, omit)
    else:
        length = INTRADAY_S[tf]
        lo = max(_utc_year_start(year), int(now) - D.YAHOO_WINDOW_DAYS[tf] * 86400)
        hi = min(_utc_year_start(year + 1), int(now) + 1)
        if lo < hi:
            for b in D.yahoo_intraday_truth(symbol, tf, lo, hi):
                if b.t + length <= now and D.ny_date(b.t) not in omit:
                    rows.append((_utc_str(b.t),) + tuple(b[1:]))
    return rows


def _utc_year_start(year):
    return int(datetime(year, 1, 1, tzinfo=timezone.utc).timestamp())


def _binance_rows(symbol, tf, year, now, omit):
    lo_ms, hi_ms = _utc_year_start(year) * 1000, _utc_year_start(year + 1) * 1000
    rows = []
    for b in D.binance_bars(symbol, tf, lo_ms, min(hi_ms, int(now * 1000) + 1)):
        if D.binance_next_open(tf, b.t) > now * 1000:  # still open
            continue
        t = b.t // 1000
        if omit and datetime.fromtimestamp(t, timezone.utc).date() in omit:
            continue
        stamp = _utc_str(t) if tf in INTRADAY_S else _utc_str(t)[:10]
        rows.append((stamp,) + tuple(b[1:]))
    return rows


def _omit_dates(omit):
    """omit (a str "YYYY-MM-DD", a date, or an iterable of them) as a frozenset of dates."""
    if isinstance(omit, (str, date)):
        omit = (omit,)
    return frozenset(d if isinstance(d, date) else date.fromisoformat(d) for d in omit)


def expected_rows(provider, symbol, tf, year, now=None, period_date="first_session", omit=()):
    """Rows (timestamp string, open, high, low, close, volume[, adj_close])
    that marketfs must serve in SYMBOL/tf/year.csv.gz when fetched at now.
    period_date: "first_session" or "bar" (Yahoo 1w/1M labels); omit: dates
    planted as missing with the mock's omit fault."""
    _check(provider, symbol, tf)
    now = time.time() if now is None else now
    omit = _omit_dates(omit)
    if provider == "yahoo":
        rows = _yahoo_rows(symbol, tf, year, now, period_date, omit)
    else:
        rows = _binance_rows(symbol, tf, year, now, omit)
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


def expected_csv(provider, symbol, tf, year, now=None, period_date="first_session", omit=()):
    """The exact uncompressed CSV text of SYMBOL/tf/year.csv.gz."""
    header = HEADER + (",adj_close" if has_adj_close(provider, tf) else "")
    lines = [header]
    for r in expected_rows(provider, symbol, tf, year, now, period_date, omit):
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
