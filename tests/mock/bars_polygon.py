"""Polygon (Massive) aggregates for the mock provider (shared/PROVIDERS.md §4).

GET /v2/aggs/ticker/{T}/range/{mult}/{timespan}/{from}/{to}?adjusted=&sort=&limit=&apiKey=K
(or Authorization: Bearer K). from/to: epoch ms or YYYY-MM-DD, both inclusive.

Data (dataset.py truth, so that files built from Polygon equal Yahoo's):
  stocks AAPL MSFT NVDA   1/day: yahoo_daily_bar, t = 00:00 New York of the session in ms
                          (null days served normally); 1 5 15 30/minute and 1/hour:
                          yahoo_intraday_truth, t = the open in ms. adjusted=false multiplies
                          prices by split_factor and divides volume by it.
  crypto X:BTCUSD X:ETHUSD  binance_bars of BTCUSDT/ETHUSDT at 1 5 15 30/minute, 1 4/hour,
                          1/day (00:00Z).
  Anything else (other tickers, I:/C: tickers, other spans such as 4/hour for stocks):
  HTTP 200 with resultsCount 0 and no results, as Polygon answers an unknown ticker.
Only bars that have started by `now` are served.

Hazards, always on:
  - Pages of at most PAGE_MAX results; then next_url = http://<Host>/v2/aggs/.../{next_ms}/{to}
    ?cursor=... WITHOUT the key (as Polygon): a client that does not re-append it gets 401.
  - The second result of every first page is sent twice (Polygon's duplicated minute bars).
  - "v" is a JSON real (642646396.0); index-style answers would lack it.
  - Continuation pages say status "DELAYED" instead of "OK".
Refusals: no key -> 401 {"status":"ERROR","error":"API Key was not provided"}; a malformed
path -> 400 status ERROR.
"""

import base64
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlencode

import dataset as D
import fundamentals as F

PREFIX = "/v2/aggs/ticker/"
PAGE_MAX = 500
CRYPTO = {"X:BTCUSD": "BTCUSDT", "X:ETHUSD": "ETHUSDT"}
STOCK_INTERVALS = {(1, "minute"): "1m", (5, "minute"): "5m", (15, "minute"): "15m",
                   (30, "minute"): "30m", (1, "hour"): "1h"}
CRYPTO_INTERVALS = dict(STOCK_INTERVALS)
CRYPTO_INTERVALS.update({(4, "hour"): "4h", (1, "day"): "1d"})
STOCK_CHUNK_DAYS = 7  # intraday truth is computed a week at a time


def _error(status, rid, msg):
    return status, {"status": "ERROR", "request_id": rid, "error": msg}, {}


def _key(query, headers):
    auth = headers.get("authorization", "")
    return query.get("apiKey") or (auth[7:].strip() if auth[:7].lower() == "bearer " else "")


def _ms(text, end):
    """Epoch ms of a from/to value; a date is New York midnight (or its last ms for `to`)."""
    if text.isdigit():
        return int(text)
    d = date.fromisoformat(text)
    if end:
        return D.ny_epoch(d + timedelta(days=1), (0, 0)) * 1000 - 1
    return D.ny_epoch(d, (0, 0)) * 1000


def _row(t_ms, o, h, low, c, v):
    return {"v": float(v), "vw": round((o + h + low + c) / 4, 4), "o": o, "c": c, "h": h, "l": low,
            "t": t_ms, "n": max(1, int(v) // 100)}


def _stock_daily(sym, lo, hi, now_ms, adjusted, n):
    out = []
    first = D.ny_date(max(lo, 0) // 1000)
    last = D.ny_date(min(hi, now_ms) // 1000)
    for b in D.yahoo_daily_truth(sym, first, last):
        t = D.ny_epoch(b.date, (0, 0)) * 1000
        if not (lo <= t <= hi) or D.ny_epoch(b.date) * 1000 > now_ms:
            continue
        f = 1 if adjusted else D.split_factor(sym, b.date)
        out.append(_row(t, b.open * f, b.high * f, b.low * f, b.close * f, b.volume / f))
        if len(out) >= n:
            break
    return out


def _stock_intraday(sym, interval, lo, hi, now_ms, adjusted, n):
    out, a = [], lo // 1000
    end = min(hi, now_ms) // 1000 + 1
    while a < end and len(out) < n:
        b_end = min(end, a + STOCK_CHUNK_DAYS * 86400)
        for b in D.yahoo_intraday_truth(sym, interval, a, b_end):
            f = 1 if adjusted else D.split_factor(sym, D.ny_date(b.t))
            out.append(_row(b.t * 1000, b.open * f, b.high * f, b.low * f, b.close * f, b.volume / f))
        a = b_end
    return out[:n]


def _crypto(sym, interval, lo, hi, now_ms, n):
    times = D.binance_open_times(sym, interval, lo, min(hi, now_ms), n, False)
    return [_row(b.t, b.open, b.high, b.low, b.close, b.volume)
            for b in (D.binance_bar(sym, interval, t) for t in times)]


def bars(ticker, mult, span, lo, hi, now_ms, adjusted, n):
    """Up to n result objects of ticker with t in [lo, hi] (ms), oldest first."""
    if ticker in D.STOCKS:
        if (mult, span) == (1, "day"):
            return _stock_daily(ticker, lo, hi, now_ms, adjusted, n)
        if (mult, span) in STOCK_INTERVALS:
            return _stock_intraday(ticker, STOCK_INTERVALS[(mult, span)], lo, hi, now_ms, adjusted, n)
    elif ticker in CRYPTO and (mult, span) in CRYPTO_INTERVALS:
        return _crypto(CRYPTO[ticker], CRYPTO_INTERVALS[(mult, span)], lo, hi, now_ms, n)
    return []


def _cursor(query, next_ms):
    raw = urlencode({"adjusted": query.get("adjusted", "true"), "limit": query.get("limit", "5000"),
                     "sort": "asc", "from": next_ms})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _uncursor(query):
    """The query with the parameters a cursor carries (a next_url has only the cursor)."""
    c = query.get("cursor")
    if not c:
        return query
    try:
        raw = base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)).decode()
    except ValueError:
        return query
    merged = {k: v[-1] for k, v in parse_qs(raw).items()}
    merged.update(query)
    return merged


def route(path, query, headers, now, target):
    if not path.startswith(PREFIX):
        return None
    query = _uncursor(query)
    rid = F.request_id(target)
    if not _key(query, headers):
        return _error(401, rid, "API Key was not provided")
    parts = path[len(PREFIX):].split("/")
    if len(parts) != 6 or parts[1] != "range" or not parts[2].isdigit() or int(parts[2]) < 1:
        return _error(400, rid, "Could not parse the request path.")
    ticker, mult, span = unquote(parts[0]), int(parts[2]), parts[3]
    if span not in ("second", "minute", "hour", "day", "week", "month", "quarter", "year"):
        return _error(400, rid, f"Invalid timespan '{span}'.")
    try:
        lo, hi = _ms(parts[4], False), _ms(parts[5], True)
    except ValueError:
        return _error(400, rid, "Could not parse the from/to dates.")
    try:
        limit = max(1, min(int(query.get("limit", "5000")), 50000))
    except ValueError:
        return _error(400, rid, "Invalid limit.")
    page = min(limit, PAGE_MAX)
    adjusted = query.get("adjusted", "true").lower() != "false"
    rows = bars(ticker, mult, span, lo, hi, int(now * 1000), adjusted, page + 1)
    more = len(rows) > page
    rows = rows[:page]
    body = {"ticker": ticker, "queryCount": len(rows), "resultsCount": len(rows), "adjusted": adjusted,
            "status": "DELAYED" if "cursor" in query else "OK", "request_id": rid}
    if not rows:
        return 200, body, {}
    if "cursor" not in query and len(rows) >= 2:
        rows.insert(2, dict(rows[1]))  # the duplicated bar hazard
    if query.get("sort") == "desc" and not more:
        rows.reverse()
    body["results"] = rows
    body["queryCount"] = body["resultsCount"] = body["count"] = len(rows)
    if more:
        next_ms = rows[-1]["t"] + 1
        host = headers.get("host", "127.0.0.1")
        body["next_url"] = (f"http://{host}{PREFIX}{parts[0]}/range/{mult}/{span}/{next_ms}/{parts[5]}"
                            f"?cursor={_cursor(query, next_ms)}")
    return 200, body, {}


if __name__ == "__main__":  # a quick look: python3 bars_polygon.py
    import json
    import time
    t0 = int(datetime(2024, 1, 2).timestamp() * 1000)
    print(json.dumps(route(f"{PREFIX}AAPL/range/1/day/{t0}/{t0 + 10 * 86400000}", {"apiKey": "k"},
                           {"host": "127.0.0.1:1"}, time.time(), "/x")[1], indent=1)[:800])
