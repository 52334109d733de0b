"""Alpha Vantage bars for the mock provider (shared/PROVIDERS.md section 3).

GET /query?function=TIME_SERIES_INTRADAY&symbol=S&interval=1min|5min|15min|30min|60min
           [&month=YYYY-MM][&outputsize=compact|full][&adjusted=true|false]
           [&extended_hours=...][&datatype=json|csv]&apikey=K
GET /query?function=TIME_SERIES_DAILY&symbol=S[&outputsize=compact|full][&datatype=json|csv]&apikey=K

Other functions (OVERVIEW) are left to fundamentals.py (route returns None).

The truth is dataset.py's (the Yahoo series), served the way Alpha Vantage
serves it, with its hazards:
  * every number a JSON string, prices with 4 decimals ("313.0800");
  * keys are naive US/Eastern times "YYYY-MM-DD HH:MM:SS" (bar start) or
    dates "YYYY-MM-DD", newest first, under "Time Series (5min)" /
    "Time Series (Daily)", after a "Meta Data" block whose key numbering
    differs between intraday and daily;
  * TIME_SERIES_DAILY and intraday with adjusted=false are RAW: prices
    times split_factor, volumes divided by it (a split-adjusted intraday
    volume is not always a multiple of the factor: the raw volume is then
    written with the decimals it needs, so that re-adjusting it gives the
    truth back exactly); intraday with adjusted=true (the default) is the
    adjusted truth;
  * refusals are HTTP 200 objects: a missing/empty key gets the real
    "apikey is invalid or missing" Error Message, an unknown symbol or bad
    parameter the real "Invalid API call" one;
  * a key starting with "free" is a free-tier key: outputsize=full on
    TIME_SERIES_DAILY gets the premium Information (as real free keys do);
  * compact = the latest 100 bars; intraday without month= = the trailing
    30 days (full) or 100 bars (compact). A month without bars answers an
    empty series object.
Only bars that opened at or before `now` are served (the last may still be
forming, as at Alpha Vantage).
"""

from datetime import date, datetime
from decimal import Decimal

import dataset as D
import fundamentals as F

INTERVALS = {"1min": "1m", "5min": "5m", "15min": "15m", "30min": "30m", "60min": "1h"}
COMPACT = 100
TRAILING_DAYS = 30
FIRST_MONTH = (2000, 1)
DOC = "https://www.alphavantage.co/documentation/"
PREMIUM_FULL = {"Information": "Thank you for using Alpha Vantage! The outputsize=full parameter value is a "
                               "premium feature for the TIME_SERIES_DAILY endpoint. You may subscribe to any "
                               "of the premium plans at https://www.alphavantage.co/premium/ to instantly "
                               "unlock all premium features"}


def invalid_call(function):
    return {"Error Message": f"Invalid API call. Please retry or visit the documentation ({DOC}) for {function}."}


def price(p, factor):
    """A truth price (2 decimals) times an integer factor, as "123.4500"."""
    cents = round(p * 100) * factor
    return f"{cents // 100}.{cents % 100:02d}00"


def volume(v, factor):
    """An adjusted volume divided by factor, exactly (integer when it divides)."""
    q = Decimal(int(v)) / Decimal(factor)
    s = format(q, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def row(o, h, low, c, v, factor):
    return {"1. open": price(o, factor), "2. high": price(h, factor), "3. low": price(low, factor),
            "4. close": price(c, factor), "5. volume": volume(v, factor)}


def parse_month(s):
    """ "YYYY-MM" -> (y, m), or None."""
    try:
        d = datetime.strptime(s, "%Y-%m")
    except (TypeError, ValueError):
        return None
    return (d.year, d.month) if len(s) == 7 else None


def month_bounds(y, m):
    """Epoch seconds of 00:00 New York on the 1st of month and of the next."""
    nxt = (y + 1, 1) if m == 12 else (y, m + 1)
    return D.ny_epoch(date(y, m, 1), (0, 0)), D.ny_epoch(date(nxt[0], nxt[1], 1), (0, 0))


def intraday_rows(symbol, interval, query, now):
    """[(key, row)] oldest first, or an error object."""
    gran = INTERVALS[interval]
    month = query.get("month")
    raw = query.get("adjusted", "true") == "false"
    if month is not None:
        ym = parse_month(month)
        if ym is None or ym < FIRST_MONTH:
            return invalid_call("TIME_SERIES_INTRADAY")
        start, end = month_bounds(*ym)
    else:
        start, end = int(now) - TRAILING_DAYS * 86400, int(now) + 1
    end = min(end, int(now) + 1)
    bars = D.yahoo_intraday_truth(symbol, gran, start, end) if start < end else []
    if query.get("outputsize", "compact") != "full":
        bars = bars[-COMPACT:]
    out = []
    for b in bars:
        local = datetime.fromtimestamp(b.t, D.NY)
        factor = D.split_factor(symbol, local.date()) if raw else 1
        out.append((local.strftime("%Y-%m-%d %H:%M:%S"), row(b.open, b.high, b.low, b.close, b.volume, factor)))
    return out


def daily_rows(symbol, query, now):
    bars = [b for b in D.yahoo_daily_truth(symbol, D.STOCKS[symbol], D.ny_date(now)) if D.ny_epoch(b.date) <= now]
    if query.get("outputsize", "compact") != "full":
        bars = bars[-COMPACT:]
    return [(b.date.isoformat(), row(b.open, b.high, b.low, b.close, b.volume, D.split_factor(symbol, b.date)))
            for b in bars]


def as_csv(rows):
    lines = ["timestamp,open,high,low,close,volume"]
    for key, r in reversed(rows):
        lines.append(",".join([key, r["1. open"], r["2. high"], r["3. low"], r["4. close"], r["5. volume"]]))
    return "\r\n".join(lines) + "\r\n"


def answer(symbol, function, query, rows, now):
    """The JSON object (newest first) or the CSV text for rows."""
    if query.get("datatype") == "csv":
        return 200, as_csv(rows), {}, "application/x-download"
    full = "Full size" if query.get("outputsize") == "full" or (
        function == "TIME_SERIES_INTRADAY" and query.get("month")) else "Compact"
    if function == "TIME_SERIES_INTRADAY":
        interval = query["interval"]
        last = rows[-1][0] if rows else datetime.fromtimestamp(now, D.NY).strftime("%Y-%m-%d %H:%M:%S")
        meta = {"1. Information": f"Intraday ({interval}) open, high, low, close prices and volume",
                "2. Symbol": symbol, "3. Last Refreshed": last, "4. Interval": interval,
                "5. Output Size": full, "6. Time Zone": "US/Eastern"}
        key = f"Time Series ({interval})"
    else:
        last = rows[-1][0] if rows else D.ny_date(now).isoformat()
        meta = {"1. Information": "Daily Prices (open, high, low, close) and Volumes", "2. Symbol": symbol,
                "3. Last Refreshed": last, "4. Output Size": full, "5. Time Zone": "US/Eastern"}
        key = "Time Series (Daily)"
    return 200, {"Meta Data": meta, key: {k: r for k, r in reversed(rows)}}


def route(path, query, headers, now, target):
    function = query.get("function", "")
    if path != "/query" or function not in ("TIME_SERIES_INTRADAY", "TIME_SERIES_DAILY"):
        return None
    key = query.get("apikey", "")
    if not key:
        return 200, F.AV_BAD_KEY
    symbol = query.get("symbol", "")
    if symbol not in D.STOCKS:
        return 200, invalid_call(function)
    if query.get("outputsize", "compact") not in ("compact", "full"):
        return 200, invalid_call(function)
    if function == "TIME_SERIES_INTRADAY":
        if query.get("interval") not in INTERVALS:
            return 200, invalid_call(function)
        rows = intraday_rows(symbol, query["interval"], query, now)
    else:
        if query.get("outputsize") == "full" and key.lower().startswith("free"):
            return 200, PREMIUM_FULL
        rows = daily_rows(symbol, query, now)
    if isinstance(rows, dict):
        return 200, rows
    return answer(symbol, function, query, rows, now)
