"""Deterministic synthetic market data: the "truth" behind the mock provider.

Both the mock server (tests/mock/mockprovider.py) and the test oracle
(tests/integration/expected.py) import this module, so they agree on every
price. Everything here is a pure function of its arguments: no randomness,
no clock (callers pass `now`/`asof` where it matters; only the default end
date of yahoo_daily_truth looks at today), stdlib only.

Truth values are exact decimals chosen so that nothing is lost in transit:
  * Yahoo prices: 2 decimals in [10, 999.99]; adjclose: 6 significant
    digits (4 decimals below 100, 3 decimals from 100). Any decimal with
    at most 6 significant digits survives the float32 widening that the
    mock (like Yahoo) applies: the shortest decimal that reads back as the
    same float32 is the true value.
  * Binance prices: 2 decimals; volumes: at most 5 decimals (sent as
    8-decimal strings, never widened).
Prices are a smooth function of time times per-bar hash noise; every bar is
computed on its own from hashlib, so any page is cheap to generate.
"""

import calendar
import functools
import hashlib
import math
from collections import namedtuple
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import nyse

UTC = timezone.utc
NY_TZ_NAME = "America/New_York"
NY = ZoneInfo(NY_TZ_NAME)

# ---------------------------------------------------------------- stocks (Yahoo)
STOCKS = {"AAPL": date(2010, 1, 4), "MSFT": date(2012, 1, 3), "NVDA": date(2015, 1, 2)}  # first sessions
STOCK_BASE = {"AAPL": 150.0, "MSFT": 250.0, "NVDA": 120.0}
# Splits (ex-date, ratio new/old). The Yahoo truth is split-ADJUSTED (OHLC
# divided, volume multiplied by the ratios of later splits); raw prices are
# truth * split_factor(symbol, d), exactly (cents times an integer).
SPLITS = {"AAPL": (), "MSFT": (), "NVDA": ((date(2021, 7, 20), 4), (date(2024, 6, 10), 10))}
# Sessions: the real NYSE calendar of nyse.py (holidays, one-off closures,
# 13:00 early closes).
# adjclose = close * factor (per-mille): factor applies to sessions BEFORE the date.
ADJ_STEPS = {
    "AAPL": ((date(2015, 5, 14), 955), (date(2021, 2, 5), 982)),
    "MSFT": ((date(2016, 2, 16), 948), (date(2022, 5, 18), 979)),
    "NVDA": ((date(2019, 6, 3), 991), (date(2023, 3, 1), 996)),
}
NULL_DOY_MOD, NULL_DOY_REM = 97, 13  # 1d bars with day-of-year % 97 == 13 are null
OPEN_HM, CLOSE_HM = (9, 30), (16, 0)
YAHOO_INTRADAY = {"1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600}
YAHOO_WINDOW_DAYS = {"1m": 30, "5m": 60, "15m": 60, "30m": 60, "1h": 730}
YAHOO_1M_MAX_DAYS = 8
YAHOO_NOISE = {"1d": 0.03, "1m": 0.002, "5m": 0.004, "15m": 0.006, "30m": 0.008, "1h": 0.01}

# -------------------------------------------------------------- crypto (Binance)
LISTING_MS = 1502942400000  # 2017-08-17 04:00:00 UTC
CRYPTO = {"BTCUSDT": LISTING_MS, "ETHUSDT": LISTING_MS}
CRYPTO_BASE = {"BTCUSDT": 28000.0, "ETHUSDT": 1500.0}
CRYPTO_VOL_SCALE = {"BTCUSDT": 1.0, "ETHUSDT": 15.0}
MIN_MS, HOUR_MS, DAY_MS = 60_000, 3_600_000, 86_400_000
BINANCE_INTERVALS = {"1m": MIN_MS, "5m": 5 * MIN_MS, "15m": 15 * MIN_MS, "30m": 30 * MIN_MS,
                     "1h": HOUR_MS, "4h": 4 * HOUR_MS, "1d": DAY_MS, "1w": 7 * DAY_MS,
                     "1M": None}  # 1M: calendar months
BINANCE_NOISE = {"1m": 0.002, "5m": 0.004, "15m": 0.006, "30m": 0.008, "1h": 0.012,
                 "4h": 0.025, "1d": 0.05, "1w": 0.1, "1M": 0.2}
# Planted exchange outage: BTCUSDT bars opening in [start, end) are absent.
OUTAGE = ("BTCUSDT", 1606716000000, 1606719600000,  # 2020-11-30 06:00 .. 07:00 UTC
          frozenset(("1m", "5m", "15m", "30m", "1h")))
_MONDAY0_MS = 4 * DAY_MS  # 1970-01-05 was a Monday

DailyBar = namedtuple("DailyBar", "date open high low close volume adjclose is_null")
PeriodBar = namedtuple("PeriodBar", "date open high low close volume adjclose")
Bar = namedtuple("Bar", "t open high low close volume")  # t: epoch s (Yahoo) or ms (Binance)


# ------------------------------------------------------------------ primitives
def _uniforms(*parts):
    """Eight deterministic uniforms in [0, 1) from a hash of parts."""
    d = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).digest()
    return [int.from_bytes(d[i:i + 2], "big") / 65536.0 for i in range(0, 16, 2)]


def _level(base, days, symbol, a, b):
    """Smooth price level (a slow and a faster sine, multiplicative)."""
    ph = (sum(symbol.encode()) % 100) / 16.0
    return base * math.exp(a * math.sin(2 * math.pi * days / 911 + ph)
                           + b * math.sin(2 * math.pi * days / 137 + 2 * ph))


def _ohlc_cents(level, u, noise, lo=1000, hi=10**9):
    """Consistent (open, high, low, close) in integer cents around level."""
    o = round(level * (1 + (u[0] - 0.5) * noise) * 100)
    c = round(level * (1 + (u[1] - 0.5) * noise) * 100)
    o, c = min(max(o, lo), hi), min(max(c, lo), hi)
    h = min(max(o, c) + round(level * u[2] * noise * 50), hi)
    low = max(min(o, c) - round(level * u[3] * noise * 50), lo)
    return o, h, low, c


# --------------------------------------------------------------- stock calendar
def is_session(d):
    """Stock exchange calendar: an NYSE session (nyse.py)."""
    return nyse.is_session(d)


def close_hm(d):
    """(hour, minute) New York at which session d closes: (16, 0) or (13, 0)."""
    t = nyse.session_close(d)
    return t.hour, t.minute


def ny_epoch(d, hm=OPEN_HM):
    """Epoch seconds of local time hm (default 09:30) on date d in New York."""
    return int(datetime(d.year, d.month, d.day, hm[0], hm[1], tzinfo=NY).timestamp())


def ny_date(t):
    """New York calendar date of epoch second t."""
    return datetime.fromtimestamp(t, NY).date()


def sessions(symbol, year):
    """Session dates of symbol in year (from its first trade date on)."""
    first = STOCKS[symbol]
    return [d for d in nyse.sessions(year) if d >= first]


def split_factor(symbol, d):
    """Product of the ratios of symbol's splits after date d (1 if none):
    raw price = adjusted * factor, raw volume = adjusted volume / factor."""
    f = 1
    for ex, ratio in SPLITS.get(symbol, ()):
        if d < ex:
            f *= ratio
    return f


def adj_factor_permille(symbol, d):
    """Deterministic adjustment factor (<= 1) for session d, in 1/1000."""
    for until, pm in ADJ_STEPS[symbol]:
        if d < until:
            return pm
    return 1000


def _adjclose(close_cents, permille):
    """close * factor rounded (half up) to 6 significant digits: 4 decimals
    below 100, 3 decimals from 100 (prices never reach 1000)."""
    num = close_cents * permille  # value * 100000
    dec = 4 if num < 100 * 100000 else 3
    q = (num * 10**dec * 2 + 100000) // 200000
    return q / 10**dec


def yahoo_daily_bar(symbol, d):
    """The true daily bar of symbol on session d (computed even for null days)."""
    u = _uniforms("yd", symbol, d.isoformat())
    level = _level(STOCK_BASE[symbol], d.toordinal(), symbol, 0.35, 0.12)
    o, h, low, c = _ohlc_cents(level, u, YAHOO_NOISE["1d"], hi=99999)
    vol = int(30e6 + u[4] * 70e6)
    if d.toordinal() % 389 == 0:  # a few bars above 2^31, as big days do
        vol *= 40
    vol *= split_factor(symbol, d)  # adjusted volume: raw volume times later splits
    is_null = d.timetuple().tm_yday % NULL_DOY_MOD == NULL_DOY_REM
    return DailyBar(d, o / 100, h / 100, low / 100, c / 100, vol,
                    _adjclose(c, adj_factor_permille(symbol, d)), is_null)


@functools.lru_cache(maxsize=256)
def _daily_year(symbol, year):
    return tuple(yahoo_daily_bar(symbol, d) for d in sessions(symbol, year))


def yahoo_daily_truth(symbol, start=None, end=None):
    """Daily truth bars of symbol for session dates in [start, end] (dates,
    inclusive; default: first trade date .. end of next year). is_null marks
    the sessions that the 1d endpoint sends as nulls."""
    start = start or STOCKS[symbol]
    end = end or date(date.today().year + 1, 12, 31)
    out = []
    for y in range(max(start.year, STOCKS[symbol].year), end.year + 1):
        out.extend(b for b in _daily_year(symbol, y) if start <= b.date <= end)
    return out


def period_label(interval, d):
    """Label date of the 1wk (Monday) or 1mo (1st) period containing d."""
    return d - timedelta(days=d.weekday()) if interval == "1wk" else d.replace(day=1)


def yahoo_period_truth(symbol, interval, start, end, asof=None, omit=()):
    """Weekly ("1wk") or monthly ("1mo") bars whose label date is in
    [start, end], aggregated from ALL daily truth sessions of the period
    (null days included: nulls are an artefact of the 1d endpoint only)
    except the dates in omit (a planted missing day). A period whose
    sessions are all omitted has no bar. open=first open, close=last close,
    high=max, low=min, volume=sum, adjclose=last adjclose. With asof
    (epoch s), sessions opening after it are left out (the still-forming
    period)."""
    first = period_label(interval, start)
    last = end + timedelta(days=6 if interval == "1wk" else 31)
    groups = {}
    for b in yahoo_daily_truth(symbol, first, last):
        if asof is not None and ny_epoch(b.date) > asof:
            break
        if b.date in omit:
            continue
        groups.setdefault(period_label(interval, b.date), []).append(b)
    out = []
    for label in sorted(groups):
        if start <= label <= end:
            g = groups[label]
            out.append(PeriodBar(label, g[0].open, max(b.high for b in g),
                                 min(b.low for b in g), g[-1].close,
                                 sum(b.volume for b in g), g[-1].adjclose))
    return out


def yahoo_intraday_bar(symbol, interval, t):
    """The true intraday bar of symbol opening at epoch second t."""
    step = YAHOO_INTRADAY[interval]
    u = _uniforms("yi", symbol, interval, t)
    level = _level(STOCK_BASE[symbol], t / 86400 + 719163, symbol, 0.35, 0.12)
    o, h, low, c = _ohlc_cents(level, u, YAHOO_NOISE[interval], hi=99999)
    return Bar(t, o / 100, h / 100, low / 100, c / 100, int(step / 60 * (20000 + u[4] * 180000)))


def yahoo_intraday_truth(symbol, interval, start, end):
    """Intraday bars (regular hours grid 09:30.. of each session, up to the
    session's close: 16:00, or 13:00 on an early close) with open time in
    [start, end) epoch seconds. No provider window is applied."""
    step = YAHOO_INTRADAY[interval]
    d, last, out = max(ny_date(start), STOCKS[symbol]), ny_date(end), []
    while d <= last:
        if is_session(d):
            t0 = ny_epoch(d)
            for k in range(0, ny_epoch(d, close_hm(d)) - t0, step):
                if start <= t0 + k < end:
                    out.append(yahoo_intraday_bar(symbol, interval, t0 + k))
        d += timedelta(days=1)
    return out


# ------------------------------------------------------------- Binance klines
def _month_start_ms(y, m):
    return calendar.timegm((y, m, 1, 0, 0, 0)) * 1000


def binance_floor(interval, t_ms):
    """Open time of the interval's bar containing t_ms (UTC boundaries;
    1w opens Monday 00:00, 1M the 1st 00:00)."""
    n = BINANCE_INTERVALS[interval]
    if n is None:
        dt = datetime.fromtimestamp(t_ms // 1000, UTC)
        return _month_start_ms(dt.year, dt.month)
    off = _MONDAY0_MS if interval == "1w" else 0
    return (t_ms - off) // n * n + off


def binance_next_open(interval, t_ms):
    """Open time of the bar after the one opening at t_ms."""
    n = BINANCE_INTERVALS[interval]
    if n is not None:
        return t_ms + n
    dt = datetime.fromtimestamp(t_ms // 1000, UTC)
    return _month_start_ms(dt.year + dt.month // 12, dt.month % 12 + 1)


def binance_prev_open(interval, t_ms):
    n = BINANCE_INTERVALS[interval]
    if n is not None:
        return t_ms - n
    dt = datetime.fromtimestamp(t_ms // 1000, UTC)
    return _month_start_ms(dt.year - (dt.month == 1), (dt.month - 2) % 12 + 1)


def binance_first_open(symbol, interval):
    """First bar: the period containing the listing, opened at the period start
    (as real Binance: BTCUSDT 1d 2017-08-17, 1w 2017-08-14, 1M 2017-08-01)."""
    return binance_floor(interval, CRYPTO[symbol])


def in_outage(symbol, interval, t_ms):
    return symbol == OUTAGE[0] and interval in OUTAGE[3] and OUTAGE[1] <= t_ms < OUTAGE[2]


def _binance_raw(symbol, interval, t_ms):
    """Integer truth of one kline: cents o,h,l,c; volume in 1e-5 units; trades;
    taker-buy volume in 1e-5 units."""
    u = _uniforms("bk", symbol, interval, t_ms)
    level = _level(CRYPTO_BASE[symbol], t_ms / DAY_MS, symbol, 0.9, 0.25)
    o, h, low, c = _ohlc_cents(level, u, BINANCE_NOISE[interval], lo=1)
    mins = (BINANCE_INTERVALS[interval] or 30 * DAY_MS) / MIN_MS
    vol = int((0.2 + u[4] * 5) * mins ** 0.8 * CRYPTO_VOL_SCALE[symbol] * 100000)
    if u[5] < 0.05:  # some integral volumes ("123.00000000")
        vol = max(100000, vol - vol % 100000)
    return o, h, low, c, vol, int(5 + u[6] * 40 * mins ** 0.8), int(vol * (0.3 + 0.4 * u[7]))


def binance_bar(symbol, interval, t_ms):
    """Numeric truth bar (t in ms; prices and volume as Python floats)."""
    o, h, low, c, vol, _, _ = _binance_raw(symbol, interval, t_ms)
    return Bar(t_ms, o / 100, h / 100, low / 100, c / 100, vol / 100000)


def _dec(units, places, pad=8):
    """Exact decimal string of units * 10**-places with `pad` decimals."""
    s = f"{units // 10**places}.{units % 10**places:0{places}d}"
    return s + "0" * (pad - places)


def binance_kline_row(symbol, interval, t_ms):
    """One kline exactly as Binance sends it (12 fields)."""
    o, h, low, c, vol, trades, taker = _binance_raw(symbol, interval, t_ms)
    return [t_ms, _dec(o, 2), _dec(h, 2), _dec(low, 2), _dec(c, 2), _dec(vol, 5),
            binance_next_open(interval, t_ms) - 1, _dec(vol * c, 7), trades,
            _dec(taker, 5), _dec(taker * c, 7), "0"]


def utc_date_ms(t_ms):
    """UTC calendar date of epoch millisecond t_ms."""
    return datetime.fromtimestamp(t_ms // 1000, UTC).date()


def binance_open_times(symbol, interval, start_ms, end_ms, limit, newest, omit=()):
    """Open times in [start_ms, end_ms] (outage skipped, and bars whose UTC
    open date is in omit), at most limit of them: the oldest ones, or the
    newest ones when newest is true."""
    lo = max(start_ms, binance_first_open(symbol, interval))
    skip = ((lambda t: in_outage(symbol, interval, t) or utc_date_ms(t) in omit) if omit
            else (lambda t: in_outage(symbol, interval, t)))
    out = []
    if newest:
        t = binance_floor(interval, end_ms)
        while t >= lo and len(out) < limit:
            if not skip(t):
                out.append(t)
            t = binance_prev_open(interval, t)
        out.reverse()
    else:
        t = binance_floor(interval, lo)
        if t < lo:
            t = binance_next_open(interval, t)
        while t <= end_ms and len(out) < limit:
            if not skip(t):
                out.append(t)
            t = binance_next_open(interval, t)
    return out


def binance_klines(symbol, interval, start_ms, end_ms, limit, now_ms, omit=()):
    """The /api/v3/klines answer: start_ms/end_ms may be None (Binance
    semantics: startTime -> oldest from there; only endTime or neither ->
    newest up to it). Bars never open after now_ms; the last one may still be
    open. Bars whose UTC open date is in omit are absent (like the outage:
    the page is filled up to limit with the following bars)."""
    hi = now_ms if end_ms is None else min(end_ms, now_ms)
    times = binance_open_times(symbol, interval, start_ms or 0, hi, limit, start_ms is None, omit)
    return [binance_kline_row(symbol, interval, t) for t in times]


def binance_bars(symbol, interval, start_ms, end_ms, omit=()):
    """All numeric truth bars opening in [start_ms, end_ms) (oracle helper)."""
    times = binance_open_times(symbol, interval, start_ms, end_ms - 1, 1 << 62, False, omit)
    return [binance_bar(symbol, interval, t) for t in times]
