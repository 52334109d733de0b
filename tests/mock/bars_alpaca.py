"""Alpaca Market Data v2 stock bars for the mock provider (PROVIDERS.md section 7).

GET /v2/stocks/{SYM}/bars?timeframe=TF&start=RFC3339&end=RFC3339[&limit=N]
    [&adjustment=raw|split][&feed=sip|iex][&sort=asc|desc][&page_token=T]
GET /v2/stocks/bars?symbols=A,B&...        (multi-symbol shape, same rules)

Data: the truth of dataset.py. adjustment=split serves it as is (split-
adjusted, like Yahoo's OHLC); raw (Alpaca's default) multiplies prices by
the later splits and divides volume. Daily bars are stamped 00:00 New York
in UTC ("2022-02-01T05:00:00Z"); intraday bars at their open, on the
regular-hours grid of yahoo_intraday_truth. Bars satisfy start <= t <= end
(end is inclusive at Alpaca) and are never in the future.

Hazards, always on: some timestamps carry nanoseconds
(".000000000Z"); whole prices are JSON integers ("o":174); a page holds at
most min(limit, 1000) bars, with an opaque base64 next_page_token that is
only valid with the identical query (else 400); the last page's token is
null.

Refusals: missing or empty APCA-API-KEY-ID / APCA-API-SECRET-KEY -> 401;
an unknown timeframe -> 422 {"code":42210000,"message":"invalid timeframe"};
feed=sip (the default) with end in the last 15 minutes -> 403 "subscription
does not permit querying recent SIP data"; an unknown symbol -> 404.
"""

import base64
import hashlib
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

import dataset as D

TIMEFRAMES = {"1Min": "1m", "1T": "1m", "5Min": "5m", "5T": "5m", "15Min": "15m", "15T": "15m",
              "30Min": "30m", "30T": "30m", "1Hour": "1h", "1H": "1h", "1Day": "1d", "1D": "1d"}
MAX_PAGE = 1000
SIP_DELAY_S = 15 * 60
PREFIX = "/v2/stocks/"


def _err(status, code, message):
    return status, {"code": code, "message": message}


def parse_time(s):
    """Epoch seconds of an RFC-3339 time or a YYYY-MM-DD date; None if neither."""
    if not s:
        return None
    try:
        if len(s) == 10:
            return int(datetime.strptime(s, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp())
        base, frac = s, ""
        if "." in s:
            base, rest = s.split(".", 1)
            i = 0
            while i < len(rest) and rest[i].isdigit():
                i += 1
            base, frac = base + rest[i:], rest[:i]
        t = datetime.fromisoformat(base.replace("Z", "+00:00").replace("z", "+00:00"))
        if t.tzinfo is None:
            return None
        return int(t.timestamp())
    except ValueError:
        return None


def rfc3339(t, nanos):
    s = datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return s + (".000000000Z" if nanos else "Z")


def num(x):
    """A price as JSON: an integer when whole (Alpaca sends "o":174)."""
    x = round(x, 4)
    return int(x) if x == int(x) else x


def bar_times(symbol, interval, start, end, now):
    """Bar times (epoch s, daily: 00:00 New York) of symbol in [start, end], <= now."""
    first = D.STOCKS[symbol]
    d = max(D.ny_date(start) - timedelta(days=1), first)
    last = D.ny_date(min(end, now))
    out = []
    while d <= last:
        if D.is_session(d):
            if interval == "1d":
                t = D.ny_epoch(d, (0, 0))
                if start <= t <= end and D.ny_epoch(d) <= now:
                    out.append(t)
            else:
                step = D.YAHOO_INTRADAY[interval]
                t0 = D.ny_epoch(d)
                for t in range(t0, D.ny_epoch(d, D.close_hm(d)), step):
                    if start <= t <= end and t <= now:
                        out.append(t)
        d += timedelta(days=1)
    return out


def bar(symbol, interval, t, raw):
    """One Alpaca bar object at time t."""
    if interval == "1d":
        d = D.ny_date(t)
        b = D.yahoo_daily_bar(symbol, d)
        o, h, lo, c, v = b.open, b.high, b.low, b.close, b.volume
        nanos = d.toordinal() % 3 == 0
    else:
        d = D.ny_date(t)
        b = D.yahoo_intraday_bar(symbol, interval, t)
        o, h, lo, c, v = b.open, b.high, b.low, b.close, b.volume
        nanos = (t // D.YAHOO_INTRADAY[interval]) % 3 == 0
    f = D.split_factor(symbol, d) if raw else 1
    if f != 1:
        o, h, lo, c, v = o * f, h * f, lo * f, c * f, int(round(v / f))
    return {"t": rfc3339(t, nanos), "o": num(o), "h": num(h), "l": num(lo), "c": num(c), "v": v,
            "n": 100 + v % 997, "vw": num((h + lo + c) / 3)}


def _query_key(target):
    """The query without page_token: a token is valid only with it."""
    q = target.split("?", 1)[1] if "?" in target else ""
    kept = sorted(p for p in q.split("&") if p and not p.startswith("page_token="))
    return hashlib.sha256("&".join(kept).encode()).hexdigest()[:16]


def make_token(target, offset):
    return base64.b64encode(json.dumps({"q": _query_key(target), "o": offset}).encode()).decode()


def read_token(target, token):
    """The offset a token stands for, or None if it is not this query's."""
    try:
        obj = json.loads(base64.b64decode(token, validate=True))
        if obj.get("q") != _query_key(target) or int(obj["o"]) < 0:
            return None
        return int(obj["o"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _check_auth(headers):
    if not headers.get("apca-api-key-id", "").strip() or not headers.get("apca-api-secret-key", "").strip():
        return _err(401, 40110000, "request is not authorized")
    return None


def _params(query, now):
    """(interval, start, end, limit, raw, desc) or an error reply."""
    interval = TIMEFRAMES.get(query.get("timeframe", ""))
    if interval is None:
        return None, _err(422, 42210000, "invalid timeframe")
    start = parse_time(query.get("start")) if "start" in query else \
        D.ny_epoch(D.ny_date(now), (0, 0))
    end = parse_time(query.get("end")) if "end" in query else int(now)
    if start is None or end is None:
        return None, _err(422, 42210000, "invalid start or end")
    if end < start:
        return None, _err(422, 42210000, "end should not be before start")
    try:
        limit = int(query.get("limit", "1000"))
    except ValueError:
        limit = -1
    if not 1 <= limit <= 10000:
        return None, _err(422, 42210000, "invalid limit: must be between 1 and 10000")
    feed = query.get("feed", "sip")
    if feed == "sip" and end > now - SIP_DELAY_S:
        return None, (403, {"message": "subscription does not permit querying recent SIP data"})
    adjustment = query.get("adjustment", "raw")
    if adjustment not in ("raw", "split"):
        return None, _err(422, 42210000, "adjustment %s is not served by the mock" % adjustment)
    sort = query.get("sort", "asc")
    if sort not in ("asc", "desc"):
        return None, _err(422, 42210000, "invalid sort")
    return (interval, start, end, limit, adjustment == "raw", sort == "desc"), None


def _page(symbols, query, now, target):
    """(status, body) of one page over symbols, with the list under each symbol."""
    params, error = _params(query, now)
    if error:
        return error
    interval, start, end, limit, raw, desc = params
    offset = 0
    if query.get("page_token"):
        offset = read_token(target, query["page_token"])
        if offset is None:
            return _err(400, 40010001, "invalid page token")
    rows = []
    for sym in symbols:
        times = bar_times(sym, interval, start, end, now)
        rows.extend((sym, t) for t in (reversed(times) if desc else times))
    size = min(limit, MAX_PAGE)
    chunk = rows[offset:offset + size]
    nxt = make_token(target, offset + size) if offset + size < len(rows) else None
    bars = {}
    for sym, t in chunk:
        bars.setdefault(sym, []).append(bar(sym, interval, t, raw))
    return 200, bars, nxt


def route(path, query, headers, now, target):
    if not path.startswith(PREFIX):
        return None
    rest = path[len(PREFIX):]
    multi = rest == "bars"
    if not multi and not (rest.endswith("/bars") and rest.count("/") == 1):
        return None
    denied = _check_auth(headers)
    if denied:
        return denied
    symbols = [s for s in query.get("symbols", "").split(",") if s] if multi \
        else [unquote(rest[:-len("/bars")])]
    if not symbols:
        return _err(422, 42210000, "no symbol specified")
    for sym in symbols:
        if sym not in D.STOCKS:
            if multi:
                continue
            return 404, {"code": 40410000, "message": "not found: symbol %s" % sym}
    known = [s for s in symbols if s in D.STOCKS]
    ans = _page(known, query, now, target)
    if ans[0] != 200:
        return ans
    _, bars, nxt = ans
    if multi:
        return 200, {"bars": bars, "next_page_token": nxt, "currency": "USD"}
    sym = symbols[0]
    return 200, {"bars": bars.get(sym) or None, "symbol": sym, "next_page_token": nxt}
