#!/usr/bin/python3
"""Mock market-data provider for marketfs integration tests.

One HTTP server on 127.0.0.1 speaks these protocols (shared/PROVIDERS.md):
  * Yahoo chart v8:  GET /v8/finance/chart/{SYMBOL}?period1=&period2=&interval=
  * Yahoo fundamentals: GET / (cookie), /v1/test/getcrumb, /v10/finance/quoteSummary/{SYMBOL}
  * Binance spot:    GET /api/v3/klines, /api/v3/exchangeInfo, /api/v3/ping, /api/v3/time
  * FMP /stable/{profile,ratios-ttm,shares-float}, Alpha Vantage /query?function=OVERVIEW,
    Polygon /v3/reference/tickers/{T}, Tiingo /tiingo/daily/{t} and /tiingo/fundamentals/{t}/daily
plus a control API under /_control/ (faults, request log, reset, health).
Data comes from dataset.py and fundamentals.py (deterministic). Provider
hazards are always on; faults are injected on demand. See README.md here.

Usage: mockprovider.py --port 0 --port-file FILE [--bind 127.0.0.1]
Stdlib only; runs until SIGTERM/SIGINT.
"""

import argparse
import hashlib
import json
import os
import re
import signal
import struct
import sys
import threading
import time
import traceback
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset as D  # noqa: E402
import fundamentals as F  # noqa: E402

# Bars of the keyed providers: one module per provider, bars_<name>.py, with
# route(path, query, headers, now, target) -> (status, body[, headers[, ctype]])
# or None when the path is not one of its bar endpoints (fundamentals.py then
# answers). body is a JSON-able object, a str, or bytes (sent as is).
BARS_PROVIDERS = ("alphavantage", "polygon", "tiingo", "fmp", "alpaca", "firstrate")
BARS = {}
for _name in BARS_PROVIDERS:
    try:
        BARS[_name] = __import__("bars_" + _name)
    except ModuleNotFoundError as _e:
        if _e.name != "bars_" + _name:
            raise

WINDOW_GRACE_S = 3600  # tolerated clock skew for the intraday window check
YAHOO_INTERVALS = ("1m", "5m", "15m", "30m", "60m", "1h", "1d", "1wk", "1mo")
# Never alphabetical: clients must not rely on key order.
QUOTE_KEY_ORDERS = (("close", "low", "volume", "open", "high"),
                    ("volume", "high", "close", "open", "low"),
                    ("high", "open", "low", "volume", "close"),
                    ("low", "close", "open", "high", "volume"))
FAULT_MODES = ("500", "429", "418", "451", "stall", "truncate", "malformed", "granularity", "slow", "omit",
               "crumb_rotate", "limit", "note", "information", "fundamentals_forbidden")
# Modes whose reply replaces the normal answer (no data is sent, so no omit fault is used up).
REPLACING_MODES = ("500", "429", "418", "451", "stall", "malformed", "limit", "note", "information",
                   "fundamentals_forbidden")
PROVIDER_NAMES = ("yahoo", "binance") + tuple(p for p in F.PROVIDERS if p != "yahoo") + ("alpaca", "firstrate",
                                                                                           "mirror")
# Provider-specific modes: (provider, path prefix) of the only requests they match.
MODE_SCOPE = {"crumb_rotate": ("yahoo", "/v10/finance/quoteSummary/"), "limit": ("fmp", "/"),
              "note": ("alphavantage", "/"), "information": ("alphavantage", "/"),
              "fundamentals_forbidden": ("tiingo", "/tiingo/fundamentals/")}
BINANCE_451_MSG = ("Service unavailable from a restricted location according to 'b. Eligibility' "
                   "in https://www.binance.com/en/terms. Please contact customer service if you "
                   "believe you received this message in error.")


# Request headers kept in the request log (tests check where keys were sent).
LOGGED_HEADERS = ("Authorization", "Cookie", "apikey", "APCA-API-KEY-ID", "APCA-API-SECRET-KEY")


class Reply:
    """An HTTP answer: status, body object (JSON) or text, extra headers (a
    list value sends the header once per item), optional content type."""

    def __init__(self, status, body, headers=None, ctype=None):
        self.status, self.body, self.headers, self.ctype = status, body, dict(headers or {}), ctype

    def encode(self):
        """(content_type, bytes) of the body."""
        if isinstance(self.body, (bytes, bytearray)):
            return self.ctype or "application/octet-stream", bytes(self.body)
        if isinstance(self.body, str):
            return self.ctype or "text/plain; charset=utf-8", self.body.encode()
        return self.ctype or "application/json;charset=utf-8", json.dumps(self.body, separators=(",", ":")).encode()


def provider_of(path):
    """The provider name a request path belongs to ("other" if none)."""
    if path == "/" or path.startswith(("/v8/", "/v7/", "/v10/", "/v1/")):
        return "yahoo"
    if path.startswith(("/api/data_file", "/api/last_update", "/api/ticker_listing", "/fr/")):
        return "firstrate"
    if path.startswith("/api/"):
        return "binance"
    if path.startswith(("/v2/stocks/", "/v1beta3/crypto/")):
        return "alpaca"
    if path.startswith("/mirror/"):
        return "mirror"
    if path.startswith("/stable/"):
        return "fmp"
    if path == "/query":
        return "alphavantage"
    if path.startswith(("/v3/", "/v2/")):
        return "polygon"
    if path.startswith(("/tiingo/", "/iex/")):
        return "tiingo"
    return "other"


def f32(x):
    """The float32-widened double of x (what Yahoo's JSON carries)."""
    return struct.unpack("f", struct.pack("f", x))[0]


# ------------------------------------------------------------------ Yahoo chart
def yahoo_error(status, code, description):
    return Reply(status, {"chart": {"result": None, "error": {"code": code, "description": description}}})


def _ny_offset(now):
    local = datetime.fromtimestamp(now, D.NY)
    return int(local.utcoffset().total_seconds()), local.tzname()


def yahoo_meta(symbol, interval, now, granularity):
    """meta block: gmtoffset/timezone are those of NOW, not per bar (as Yahoo)."""
    off, tzname = _ny_offset(now)
    today = datetime.fromtimestamp(now, D.NY).date()
    period = lambda a, b: {"timezone": tzname, "start": D.ny_epoch(today, a),  # noqa: E731
                           "end": D.ny_epoch(today, b), "gmtoffset": off}
    close = D.close_hm(today) if D.is_session(today) else D.CLOSE_HM
    last = D.yahoo_daily_bar(symbol, today)
    return {"currency": "USD", "symbol": symbol, "exchangeName": "NMS", "fullExchangeName": "NasdaqGS",
            "instrumentType": "EQUITY", "firstTradeDate": D.ny_epoch(D.STOCKS[symbol]),
            "regularMarketTime": int(now), "hasPrePostMarketData": True, "gmtoffset": off,
            "timezone": tzname, "exchangeTimezoneName": D.NY_TZ_NAME,
            "regularMarketPrice": f32(last.close), "priceHint": 2,
            "currentTradingPeriod": {"pre": period((4, 0), D.OPEN_HM),
                                     "regular": period(D.OPEN_HM, close),
                                     "post": period(close, (20, 0))},
            "dataGranularity": granularity or interval, "range": "",
            "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]}


def yahoo_bars(symbol, interval, lo, hi, now, omit=frozenset()):
    """Bars with lo <= t < hi and t <= now: list of (t, o, h, l, c, v, adj);
    values are None for null bars, adj is None for intraday. omit: New York
    dates whose bars are left out (1wk/1mo: aggregated without those days)."""
    hi = min(hi, int(now) + 1)
    if lo >= hi:
        return []
    d0, d1 = D.ny_date(lo), D.ny_date(hi)
    if interval == "1d":
        rows = [(D.ny_epoch(b.date),) + ((None,) * 6 if b.is_null else tuple(b[1:7]))
                for b in D.yahoo_daily_truth(symbol, d0, d1) if b.date not in omit]
    elif interval in ("1wk", "1mo"):
        rows = [(D.ny_epoch(b.date),) + tuple(b[1:])
                for b in D.yahoo_period_truth(symbol, interval, d0 - timedelta(days=31), d1, asof=now, omit=omit)]
    else:
        lo = max(lo, int(now) - D.YAHOO_WINDOW_DAYS[interval] * 86400)
        rows = [tuple(b) + (None,) for b in D.yahoo_intraday_truth(symbol, interval, lo, hi)
                if not omit or D.ny_date(b.t) not in omit] if lo < hi else []
    return [r for r in rows if lo <= r[0] < hi]


YAHOO_EVENT_INTERVALS = ("1d", "1wk", "1mo")
YAHOO_DIVIDEND = 0.25  # cash per share of every mock dividend (one per ADJ_STEPS date)


def yahoo_events(symbol, lo, hi, now):
    """chart.result[0].events for [lo, hi) and t <= now, or None if there are none:
    the splits of D.SPLITS and a dividend on each D.ADJ_STEPS date, keyed by the
    epoch as a string and dated 09:30 New York of the ex-date (as Yahoo)."""
    hi = min(hi, int(now) + 1)
    splits, dividends = {}, {}
    for d, ratio in D.SPLITS.get(symbol, ()):
        t = D.ny_epoch(d)
        if lo <= t < hi:
            splits[str(t)] = {"date": t, "numerator": ratio, "denominator": 1, "splitRatio": f"{ratio}:1"}
    for d, _ in D.ADJ_STEPS.get(symbol, ()):
        t = D.ny_epoch(d)
        if lo <= t < hi:
            dividends[str(t)] = {"amount": YAHOO_DIVIDEND, "date": t}
    events = {}
    if dividends:
        events["dividends"] = dividends
    if splits:
        events["splits"] = splits
    return events or None


def yahoo_chart(symbol, query, now, granularity=None, key_seed="", omit=frozenset()):
    """Answer GET /v8/finance/chart/{symbol}: a pure function of its arguments.
    omit: New York dates whose bars are left out (the "omit" fault)."""
    if symbol not in D.STOCKS:
        return yahoo_error(404, "Not Found", "No data found, symbol may be delisted")
    interval = query.get("interval", "1d")
    if interval not in YAHOO_INTERVALS:
        return yahoo_error(400, "Bad Request", f"Invalid input - interval={interval} is not supported. "
                           f"Valid intervals: [{', '.join(YAHOO_INTERVALS)}]")
    try:
        p1, p2 = int(query["period1"]), int(query["period2"])
    except (KeyError, ValueError):
        return yahoo_error(400, "Bad Request", "Invalid input - the mock needs integer period1 and period2")
    if p1 >= p2:
        return yahoo_error(400, "Bad Request", "Invalid input - start date cannot be after end date. "
                           f"startDate = {p1}, endDate = {p2}")
    kind = "1h" if interval == "60m" else interval
    if kind == "1m" and p2 - p1 > D.YAHOO_1M_MAX_DAYS * 86400:
        return yahoo_error(422, "Unprocessable Entity", "Only 8 days worth of 1m granularity data are "
                           "allowed to be fetched per request.")
    if kind in D.YAHOO_WINDOW_DAYS:
        days = D.YAHOO_WINDOW_DAYS[kind]
        if p1 < now - days * 86400 - WINDOW_GRACE_S:
            return yahoo_error(422, "Unprocessable Entity", f"{interval} data not available for startTime={p1} "
                               f"and endTime={p2}. The requested range must be within the last {days} days.")
    rows = yahoo_bars(symbol, kind, p1, p2, now, omit)
    # Hazard: a bar at/after period2 comes back for (non-empty) ranges well in the past.
    if rows and p2 < now - 2 * 86400:
        rows += yahoo_bars(symbol, kind, p2, p2 + 4 * 86400, now, omit)[:1]
    # Hazard: a live duplicate row for today, stamped "now", on 1d requests.
    today = datetime.fromtimestamp(now, D.NY)
    if (kind == "1d" and p1 <= now <= p2 and D.is_session(today.date()) and today.date() not in omit
            and today.date() >= D.STOCKS[symbol] and (today.hour, today.minute) >= D.OPEN_HM):
        b = D.yahoo_daily_bar(symbol, today.date())
        rows.append((int(now),) + ((None,) * 6 if b.is_null else tuple(b[1:7])))
    result = {"meta": yahoo_meta(symbol, interval, now, granularity)}
    events = yahoo_events(symbol, p1, p2, now) if kind in YAHOO_EVENT_INTERVALS else None
    if not rows:
        if events:
            result["events"] = events
        result["indicators"] = {"quote": [{}]}
    else:
        result["timestamp"] = [r[0] for r in rows]
        if events:
            result["events"] = events
        col = {k: [None if r[i] is None else f32(r[i]) for r in rows]
               for i, k in enumerate(("open", "high", "low", "close"), 1)}
        col["volume"] = [r[5] for r in rows]
        order = QUOTE_KEY_ORDERS[int(hashlib.md5(key_seed.encode()).hexdigest(), 16) % len(QUOTE_KEY_ORDERS)]
        result["indicators"] = {"quote": [{k: col[k] for k in order}]}
        if kind in ("1d", "1wk", "1mo"):
            result["indicators"]["adjclose"] = [{"adjclose": [None if r[6] is None else f32(r[6]) for r in rows]}]
    return Reply(200, {"chart": {"result": [result], "error": None}})


# -------------------------------------------------------------------- Binance
def binance_error(status, code, msg, headers=None):
    return Reply(status, {"code": code, "msg": msg}, headers)


def binance_klines(query, now, omit=frozenset()):
    """Answer GET /api/v3/klines (limit > 1000 is clamped to 1000). omit: UTC
    dates whose klines (by open time) are left out (the "omit" fault)."""
    symbol, interval = query.get("symbol", ""), query.get("interval", "")
    if not symbol or not interval:
        return binance_error(400, -1102, "Mandatory parameter 'symbol' or 'interval' was not sent, "
                             "was empty/null, or malformed.")
    if symbol not in D.CRYPTO:
        return binance_error(400, -1121, "Invalid symbol.")
    if interval not in D.BINANCE_INTERVALS:
        return binance_error(400, -1120, "Invalid interval.")
    try:
        start = int(query["startTime"]) if "startTime" in query else None
        end = int(query["endTime"]) if "endTime" in query else None
        limit = min(int(query.get("limit", 500)), 1000)
    except ValueError:
        return binance_error(400, -1100, "Illegal characters found in a parameter.")
    if limit < 1:
        return binance_error(400, -1130, "Invalid parameter data.")
    if start is not None and end is not None and start > end:
        return binance_error(400, -1023, "Start time is greater than end time.")
    return Reply(200, D.binance_klines(symbol, interval, start, end, limit, int(now * 1000), omit))


def binance_exchange_info(query, now):
    """Minimal GET /api/v3/exchangeInfo (symbol=, symbols=[..] or all)."""
    if "symbol" in query:
        wanted = [query["symbol"]]
    elif "symbols" in query:
        try:
            wanted = json.loads(query["symbols"])
        except ValueError:
            return binance_error(400, -1100, "Illegal characters found in parameter 'symbols'.")
    else:
        wanted = sorted(D.CRYPTO)
    if any(s not in D.CRYPTO for s in wanted):
        return binance_error(400, -1121, "Invalid symbol.")
    return Reply(200, {
        "timezone": "UTC", "serverTime": int(now * 1000),
        "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
                       {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000}],
        "exchangeFilters": [],
        "symbols": [{"symbol": s, "status": "TRADING", "baseAsset": s[:-4], "baseAssetPrecision": 8,
                     "quoteAsset": "USDT", "quotePrecision": 8, "quoteAssetPrecision": 8,
                     "orderTypes": ["LIMIT", "MARKET"], "isSpotTradingAllowed": True,
                     "filters": [], "permissions": [], "permissionSets": [["SPOT"]]} for s in wanted]})


# ------------------------------------------------------------------- server state
class State:
    """Faults, request log and the stall-release event, shared by handlers."""

    def __init__(self):
        self.lock = threading.Lock()
        self.faults, self.log = [], []
        self.release = threading.Event()  # set on reset/shutdown: stalls end
        self.crumb_generation = 0  # Yahoo: every crumb_rotate fault used up adds one

    def crumb(self):
        with self.lock:
            return F.crumb(self.crumb_generation)

    def rotate_crumb(self):
        with self.lock:
            self.crumb_generation += 1

    def add_fault(self, spec):
        """Validate and queue one fault; returns the stored dict."""
        mode = str(spec.get("mode", ""))
        if mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAULT_MODES)}")
        provider = spec.get("provider", "*")
        if provider not in PROVIDER_NAMES + ("*",):
            raise ValueError(f"provider must be one of {', '.join(PROVIDER_NAMES)} or *")
        if mode in MODE_SCOPE and provider not in (MODE_SCOPE[mode][0], "*"):
            raise ValueError(f"mode {mode} applies to provider {MODE_SCOPE[mode][0]} only")
        fault = {"provider": provider, "mode": mode, "count": int(spec.get("count", 1)),
                 "retry_after": spec.get("retry_after"), "delay_ms": int(spec.get("delay_ms", 0)),
                 "stall_s": float(spec.get("stall_s", 3600)), "path_contains": str(spec.get("path_contains", ""))}
        if mode == "omit":
            day = str(spec.get("date", ""))
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
                raise ValueError("mode omit needs \"date\": \"YYYY-MM-DD\"")
            date.fromisoformat(day)  # ValueError for a date that does not exist
            fault["date"] = day
        with self.lock:
            self.faults.append(fault)
        return fault

    @staticmethod
    def _matches(f, provider, target):
        scope = MODE_SCOPE.get(f["mode"])
        if scope and (provider != scope[0] or not target.split("?", 1)[0].startswith(scope[1])):
            return False
        return f["count"] != 0 and f["provider"] in ("*", provider) and f["path_contains"] in target

    def take_fault(self, provider, target):
        """The first queued fault (not omit) matching this request (its count consumed)."""
        with self.lock:
            for f in self.faults:
                if f["mode"] != "omit" and self._matches(f, provider, target):
                    if f["count"] > 0:
                        f["count"] -= 1
                    return dict(f)
        return None

    def take_omits(self, provider, target):
        """The dates of ALL omit faults matching this request (each one's count
        consumed), as a frozenset of dates."""
        days = set()
        with self.lock:
            for f in self.faults:
                if f["mode"] == "omit" and self._matches(f, provider, target):
                    if f["count"] > 0:
                        f["count"] -= 1
                    days.add(date.fromisoformat(f["date"]))
        return frozenset(days)

    def reset(self):
        with self.lock:
            self.faults.clear()
            self.log.clear()
            self.crumb_generation = 0
            old, self.release = self.release, threading.Event()
        old.set()

    def record(self, entry):
        with self.lock:
            self.log.append(entry)

    def weight_1m(self, now):
        with self.lock:
            return sum(2 for e in self.log if e["provider"] == "binance" and e["ts"] > now - 60)


def apply_fault(fault, provider, normal, target="/"):
    """The reply to send instead of (or derived from) the normal one."""
    mode, ra = fault["mode"], fault["retry_after"]
    hdr = {"Retry-After": str(int(ra))} if ra is not None else {}
    path = target.split("?", 1)[0]
    if mode == "500":
        return Reply(500, "Internal Server Error")
    if mode == "429":
        if provider == "binance":
            return binance_error(429, -1003, "Too many requests.", hdr)
        if provider in F.PROVIDERS and provider != "yahoo":
            return Reply(*F.rate_limit(provider, target), hdr)
        return Reply(429, "Too Many Requests", hdr)
    if mode == "limit":
        return Reply(429, F.FMP_LIMIT, hdr)
    if mode == "note":
        return Reply(200, F.AV_NOTE)
    if mode == "information":
        return Reply(200, F.AV_INFORMATION)
    if mode == "fundamentals_forbidden":
        return Reply(403, F.TIINGO_FORBIDDEN)
    if mode == "418":
        until = int((time.time() + (ra or 1)) * 1000)
        return binance_error(418, -1003, f"Way too much request weight used; IP banned until {until}. Please "
                             "use WebSocket Streams for live updates to avoid bans.",
                             {"Retry-After": str(int(ra if ra is not None else 1))})
    if mode == "451":
        return binance_error(451, 0, BINANCE_451_MSG)
    if mode == "malformed":
        if provider == "yahoo" and path.startswith("/v10/"):
            return Reply(200, F.MALFORMED["yahoo-quoteSummary"], ctype="application/json;charset=utf-8")
        if provider == "tiingo" and path.startswith("/tiingo/fundamentals/"):
            return Reply(200, F.MALFORMED["tiingo-daily"], ctype="application/json")
        if provider in F.MALFORMED:
            return Reply(200, F.MALFORMED[provider], ctype="application/json")
        text = '{"chart":{"result":[{"meta":' if provider != "binance" else '[[1502942400000,"4261.48000000",'
        return Reply(200, text)
    return normal  # granularity, slow, truncate, omit and crumb_rotate change the normal answer elsewhere


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mockprovider/1.0"
    sys_version = ""

    def log_message(self, fmt, *args):  # keep stderr quiet
        pass

    # -- plumbing
    def _send(self, reply, truncate=False):
        ctype, body = reply.encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in reply.headers.items():
            for item in (v if isinstance(v, list) else [v]):
                self.send_header(k, item)
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if truncate else body)
        self.wfile.flush()

    def _read_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw or b"{}")

    # -- verbs
    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method):
        url = urlsplit(self.path)
        if url.path.startswith("/_control/"):
            return self._control(method, url.path)
        state, now = self.server.state, time.time()
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        provider = provider_of(url.path)
        entry = {"ts": now, "provider": provider, "method": method, "path": url.path, "query": query,
                 "raw_query": url.query, "user_agent": self.headers.get("User-Agent", ""),
                 "headers": {k.lower(): self.headers[k] for k in LOGGED_HEADERS if self.headers.get(k) is not None},
                 "status": None, "fault": None}
        state.record(entry)
        fault = state.take_fault(provider, self.path) if provider != "other" else None
        if fault:
            entry["fault"] = fault["mode"]
            if fault["mode"] == "crumb_rotate":
                state.rotate_crumb()
        omit = frozenset()
        if (method == "GET" and (not fault or fault["mode"] not in REPLACING_MODES)
                and (url.path == "/api/v3/klines" or (url.path.startswith("/v8/finance/chart/")
                                                      and "Mozilla/" in self.headers.get("User-Agent", "")))):
            omit = state.take_omits(provider, self.path)
            if omit:
                entry["omit"] = sorted(d.isoformat() for d in omit)
                entry["fault"] = entry["fault"] or "omit"
        if fault and fault["mode"] == "stall":
            entry["status"] = 0
            state.release.wait(fault["stall_s"])
            self.close_connection = True
            return
        if method != "GET":
            reply = Reply(405, "Method Not Allowed")
        else:
            try:
                reply = self._route(provider, url.path, query, now, fault, omit)
            except Exception as e:  # a mock bug: say so loudly, answer 500
                traceback.print_exc()
                reply = Reply(500, f"mockprovider internal error: {type(e).__name__}: {e}")
        if fault:
            reply = apply_fault(fault, provider, reply, self.path)
            if fault["mode"] == "slow":
                time.sleep(fault["delay_ms"] / 1000.0)
        if provider == "binance":
            reply.headers["X-MBX-USED-WEIGHT-1M"] = str(state.weight_1m(now))
        entry["status"] = reply.status
        self._send(reply, truncate=bool(fault) and fault["mode"] == "truncate")

    def _route(self, provider, path, query, now, fault, omit):
        if provider == "yahoo":
            if "Mozilla/" not in self.headers.get("User-Agent", ""):
                return Reply(429, "Too Many Requests")
            prefix = "/v8/finance/chart/"
            if path.startswith(prefix) and len(path) > len(prefix):
                gran = "3mo" if fault and fault["mode"] == "granularity" else None
                return yahoo_chart(unquote(path[len(prefix):]), query, now, gran, self.path, omit)
            cookie = self.headers.get("Cookie", "")
            if path == "/":
                return Reply(*F.yahoo_cookie(now))
            if path == "/v1/test/getcrumb":
                return Reply(*F.yahoo_getcrumb(cookie, self.server.state.crumb()))
            prefix = "/v10/finance/quoteSummary/"
            if path.startswith(prefix) and len(path) > len(prefix):
                return Reply(*F.yahoo_quote_summary(unquote(path[len(prefix):]), query, urlsplit(self.path).query,
                                                    cookie, self.server.state.crumb()))
            return Reply(404, {"finance": {"result": None, "error": {"code": "Not Found",
                                                                     "description": "HTTP 404 Not Found"}}})
        if provider == "binance":
            if path == "/api/v3/klines":
                return binance_klines(query, now, omit)
            if path == "/api/v3/exchangeInfo":
                return binance_exchange_info(query, now)
            if path == "/api/v3/ping":
                return Reply(200, {})
            if path == "/api/v3/time":
                return Reply(200, {"serverTime": int(now * 1000)})
        headers = {k.lower(): v for k, v in self.headers.items()}
        if provider in BARS:
            ans = BARS[provider].route(path, query, headers, now, self.path)
            if ans is not None:
                status, body = ans[0], ans[1]
                extra = ans[2] if len(ans) > 2 else {}
                ctype = ans[3] if len(ans) > 3 else None
                return Reply(status, body, extra, ctype)
        if provider == "fmp":
            return Reply(*F.fmp(path, query, headers))
        if provider == "alphavantage":
            return Reply(*F.alphavantage(query))
        if provider == "polygon":
            return Reply(*F.polygon(path, query, headers, self.path))
        if provider == "tiingo":
            return Reply(*F.tiingo(path, query, headers, now))
        return Reply(404, "Not Found")

    def _control(self, method, path):
        state = self.server.state
        try:
            if path == "/_control/health" and method == "GET":
                return self._send(Reply(200, {"ok": True}))
            if path == "/_control/yahoo" and method == "GET":
                with state.lock:
                    gen = state.crumb_generation
                return self._send(Reply(200, {"cookie": F.YAHOO_COOKIE, "crumb": F.crumb(gen), "generation": gen}))
            if path == "/_control/log" and method == "GET":
                with state.lock:
                    entries = [dict(e) for e in state.log]
                return self._send(Reply(200, entries))
            if path == "/_control/faults" and method == "GET":
                with state.lock:
                    faults = [dict(f) for f in state.faults]
                return self._send(Reply(200, faults))
            if path == "/_control/reset" and method == "POST":
                self._read_json()
                state.reset()
                return self._send(Reply(200, {"ok": True}))
            if path == "/_control/fault" and method == "POST":
                return self._send(Reply(200, {"ok": True, "fault": state.add_fault(self._read_json())}))
        except (ValueError, TypeError, AttributeError) as e:
            return self._send(Reply(400, {"ok": False, "error": str(e)}))
        return self._send(Reply(404, {"ok": False, "error": "unknown control endpoint"}))


class MockServer(ThreadingHTTPServer):
    """Threaded server (daemon threads) that stays quiet when a client hangs up."""
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # real bugs go to stderr


def write_port_file(path, port):
    """Write the port atomically (temp file in the same directory + rename)."""
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Mock market-data (bars + fundamentals) server for marketfs tests")
    ap.add_argument("--port", type=int, default=0, help="TCP port (0 = pick a free one)")
    ap.add_argument("--port-file", required=True, help="file that receives the chosen port")
    ap.add_argument("--bind", default="127.0.0.1", help="bind address (only 127.0.0.1 is allowed)")
    args = ap.parse_args(argv)
    if args.bind != "127.0.0.1":
        print(f"mockprovider: refusing to bind to {args.bind}: only 127.0.0.1 is allowed", file=sys.stderr)
        return 2
    server = MockServer(("127.0.0.1", args.port), Handler)
    server.state = State()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    write_port_file(args.port_file, server.server_address[1])
    while not stop.wait(0.5):
        pass
    server.state.release.set()  # end stalls
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
