#!/usr/bin/python3
"""Self-test of the mock provider (and a cross-check of the test oracle).

Starts mockprovider.py on port 0, exercises every endpoint, hazard and
fault, checks that a small reference client reading the mock's answers
reproduces tests/integration/expected.py exactly, then stops the server
with SIGTERM. Prints "N passed, M failed"; exit status 0 only if M == 0.
"""

import email.utils
import http.client
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import date, datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import dataset as D  # noqa: E402
import expected as E  # noqa: E402
import fundamentals as F  # noqa: E402
import mockprovider as M  # noqa: E402
import nyse  # noqa: E402

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
PORT = None
RESULTS = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    if cond:
        RESULTS["passed"] += 1
    else:
        RESULTS["failed"] += 1
        print(f"FAIL: {name} {detail}")


def req(path, method="GET", body=None, ua=UA, timeout=10, headers=None):
    """(status, headers dict, body bytes) of one request on a new connection.
    A header sent several times (Set-Cookie) has its values joined by "\n"."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    hdrs = {"User-Agent": ua} if ua else {}
    hdrs.update(headers or {})
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        hdrs["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=hdrs)
    r = conn.getresponse()
    got = {}
    for k, v in r.getheaders():
        got[k.lower()] = got[k.lower()] + "\n" + v if k.lower() in got else v
    out = (r.status, got, r.read())
    conn.close()
    return out


def jreq(path, **kw):
    st, hd, body = req(path, **kw)
    return st, hd, json.loads(body)


def fault(**spec):
    st, _, _ = req("/_control/fault", method="POST", body=spec)
    assert st == 200, spec


def reset():
    req("/_control/reset", method="POST", body={})


def denoise(x):
    """Shortest decimal that reads back as the same float32 (what marketfs must do)."""
    w = struct.unpack("f", struct.pack("f", x))[0]
    for p in range(1, 10):
        s = "%.*g" % (p, w)
        if struct.unpack("f", struct.pack("f", float(s)))[0] == w:
            return float(s)
    return x


def chart(sym, p1, p2, interval, **kw):
    return jreq(f"/v8/finance/chart/{sym}?period1={p1}&period2={p2}&interval={interval}&events=div%2Csplits", **kw)


def utc(y, m=1, d=1, hh=0, mm=0):
    return int(datetime(y, m, d, hh, mm, tzinfo=timezone.utc).timestamp())


# ------------------------------------------------------ reference clients
def first_session_label(tf, d):
    """The first NYSE session of the ISO week (1w) / month (1M) of d."""
    start = d - timedelta(days=d.weekday()) if tf == "1w" else d.replace(day=1)
    return nyse.first_session(start, start + timedelta(days=6 if tf == "1w" else 30))


def yahoo_year_csv(sym, tf, year, now, period_date="first_session"):
    """What a correct client makes of the mock's answers for one file
    (1w/1M restamped to the period's first NYSE session by default)."""
    interval = E.YAHOO_INTERVAL[tf]
    p1, p2 = utc(year), min(utc(year + 1), int(now))
    if tf in E.INTRADAY_S:
        p1 = max(p1, int(now) - D.YAHOO_WINDOW_DAYS[tf] * 86400)
    st, _, js = chart(sym, p1, p2, interval)
    assert st == 200, js
    res = js["chart"]["result"][0]
    q = res["indicators"]["quote"][0]
    adj = res["indicators"].get("adjclose", [{}])[0].get("adjclose")
    rows = {}
    for i, t in enumerate(res.get("timestamp", [])):
        vals = [q[k][i] for k in ("open", "high", "low", "close", "volume")] + ([adj[i]] if adj else [])
        if t >= p2 or None in vals:
            continue
        if tf in E.INTRADAY_S:
            if t + E.INTRADAY_S[tf] > now:
                continue
            stamp = datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        elif tf in ("1w", "1M") and period_date == "first_session":
            stamp = first_session_label(tf, D.ny_date(t)).isoformat()
        else:
            stamp = D.ny_date(t).isoformat()
        rows[stamp] = [denoise(v) for v in vals[:4]] + [vals[4]] + [denoise(v) for v in vals[5:]]
    lines = [E.HEADER + (",adj_close" if adj else "")]
    for stamp in sorted(rows):
        v = rows[stamp]
        lines.append(",".join([stamp] + [E.fmt_number(x) for x in v[:4]] + [E.fmt_number(v[4], True)]
                              + [E.fmt_number(x) for x in v[5:]]))
    return "\n".join(lines) + "\n"


def binance_year_csv(sym, tf, year, now):
    start, end, rows = utc(year) * 1000, utc(year + 1) * 1000 - 1, []
    while True:
        st, _, page = jreq(f"/api/v3/klines?symbol={sym}&interval={tf}&startTime={start}&endTime={end}&limit=1000")
        assert st == 200, page
        rows += page
        if len(page) < 1000:
            break
        start = page[-1][0] + 1
    lines = [E.HEADER]
    for k in rows:
        if k[6] + 1 > now * 1000:
            continue
        ts = datetime.fromtimestamp(k[0] // 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        ts = ts if tf in E.INTRADAY_S else ts[:10]
        lines.append(",".join([ts] + [E.fmt_number(float(x)) for x in k[1:5]] + [E.fmt_number(float(k[5]), True)]))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ tests
def test_yahoo():
    st, hd, body = req("/v8/finance/chart/AAPL?period1=1&period2=2&interval=1d", ua=None)
    check("yahoo no UA -> 429", st == 429 and body == b"Too Many Requests" and "text/plain" in hd["content-type"])
    st, _, _ = req("/v8/finance/chart/AAPL?period1=1&period2=2&interval=1d", ua="curl/7.88.1")
    check("yahoo curl UA -> 429", st == 429)
    st, _, js = chart("AAPL", utc(2024), utc(2025), "1d")
    res = js["chart"]["result"][0]
    meta, ts, q = res["meta"], res["timestamp"], res["indicators"]["quote"][0]
    check("1d status/error", st == 200 and js["chart"]["error"] is None)
    check("1d key order not alphabetical",
          list(q) != sorted(q) and set(q) == {"open", "high", "low", "close", "volume"})
    check("1d arrays aligned", all(len(v) == len(ts) for v in q.values())
          and len(res["indicators"]["adjclose"][0]["adjclose"]) == len(ts))
    check("1d float32 noise", any(len(repr(v).split(".")[1]) > 6 for v in q["close"] if v is not None))
    check("1d winter 14:30Z / summer 13:30Z", ts[0] == utc(2024, 1, 2, 14, 30) and utc(2024, 7, 1, 13, 30) in ts)
    nulls = [i for i, v in enumerate(q["open"]) if v is None]
    check("1d null bars", len(nulls) == 3 and all(D.ny_date(ts[i]).timetuple().tm_yday % 97 == 13 for i in nulls)
          and all(q[k][i] is None for k in q for i in nulls))
    check("1d bar at period2 appended", ts[-1] == utc(2025, 1, 2, 14, 30) and ts[-2] < utc(2025))
    off = int(datetime.now(D.NY).utcoffset().total_seconds())
    check("meta", meta["exchangeTimezoneName"] == "America/New_York" and meta["gmtoffset"] == off
          and meta["firstTradeDate"] == 1262615400 and meta["dataGranularity"] == "1d" and meta["priceHint"] == 2
          and meta["timezone"] in ("EST", "EDT") and "regular" in meta["currentTradingPeriod"])
    _, _, js = chart("MSFT", utc(2024), utc(2025), "1wk")
    res = js["chart"]["result"][0]
    check("1wk Monday anchor (holiday Monday)", res["timestamp"][0] == D.ny_epoch(date(2024, 1, 1))
          and "adjclose" in res["indicators"] and res["meta"]["firstTradeDate"] == D.ny_epoch(date(2012, 1, 3)))
    _, _, js = chart("AAPL", utc(2024), utc(2025), "1mo")
    check("1mo first-of-month anchor", D.ny_epoch(date(2024, 6, 1)) in js["chart"]["result"][0]["timestamp"])
    st, _, js = chart("AAPL", utc(2024, 1, 6), utc(2024, 1, 7), "1d")  # a Saturday
    res = js["chart"]["result"][0]
    check("empty range", st == 200 and "timestamp" not in res and res["indicators"] == {"quote": [{}]})
    st, _, js = chart("%5EGSPC", 1, 2, "1d")
    check("unknown symbol 404", st == 404 and js["chart"]["error"]["code"] == "Not Found"
          and js["chart"]["result"] is None)
    st, _, js = chart("%41APL", utc(2024), utc(2024, 2), "1d")
    check("symbol percent-decoded", st == 200 and js["chart"]["result"][0]["meta"]["symbol"] == "AAPL")
    now = int(time.time())
    st, _, js = chart("AAPL", utc(2020), utc(2021), "1h")
    check("1h outside 730 days -> 422", st == 422 and "730 days" in js["chart"]["error"]["description"])
    st, _, js = chart("AAPL", now - 61 * 86400, now, "5m")
    check("5m outside 60 days -> 422", st == 422 and "60 days" in js["chart"]["error"]["description"])
    st, _, js = chart("AAPL", now - 9 * 86400, now, "1m")
    check("1m > 8 days -> 422", st == 422 and js["chart"]["error"]["description"] ==
          "Only 8 days worth of 1m granularity data are allowed to be fetched per request.")
    st, _, js = chart("AAPL", now - 8 * 86400, now, "1m")
    res = js["chart"]["result"][0]
    check("1m recent ok", st == 200 and "adjclose" not in res["indicators"] and res["meta"]["dataGranularity"] == "1m")
    st, _, js = chart("AAPL", now - 30 * 86400, now, "1h")
    ts = js["chart"]["result"][0].get("timestamp", [])
    check("1h grid 09:30..15:30", st == 200 and ts and {datetime.fromtimestamp(t, D.NY).strftime("%H:%M") for t in ts}
          == {"09:30", "10:30", "11:30", "12:30", "13:30", "14:30", "15:30"})
    st, _, _ = chart("AAPL", utc(2024), utc(2025), "4h")
    check("4h -> 400", st == 400)


def test_yahoo_inprocess():
    """Clock-dependent hazards, with a fixed 'now' through the pure function."""
    now = D.ny_epoch(date(2026, 11, 18), (11, 7)) + 13  # Wednesday 11:07:13 New York
    q = {"period1": str(utc(2026, 11, 1)), "period2": str(now + 86400), "interval": "1d"}
    res = M.yahoo_chart("AAPL", q, now).body["chart"]["result"][0]
    ts, close = res["timestamp"], res["indicators"]["quote"][0]["close"]
    check("live duplicate row", ts[-1] == now and ts[-2] == D.ny_epoch(date(2026, 11, 18)) and close[-1] == close[-2])
    early = D.ny_epoch(date(2026, 11, 18), (9, 0))
    res = M.yahoo_chart("AAPL", dict(q, period2=str(early + 86400)), early).body["chart"]["result"][0]
    check("no live row before 09:30", res["timestamp"][-1] == D.ny_epoch(date(2026, 11, 17)))
    null_day = date(2026, 4, 20)  # day of year 110 -> null
    t = D.ny_epoch(null_day, (12, 0))
    res = M.yahoo_chart("AAPL", {"period1": str(t - 86400), "period2": str(t + 86400), "interval": "1d"}, t)
    quote = res.body["chart"]["result"][0]["indicators"]["quote"][0]
    check("live row on a null day is null", quote["open"][-1] is None and quote["open"][-2] is None)
    q5 = {"period1": str(now - 3 * 86400), "period2": str(now + 60), "interval": "5m"}
    res = M.yahoo_chart("AAPL", q5, now).body["chart"]["result"][0]
    check("forming 5m bar present", res["timestamp"][-1] == D.ny_epoch(date(2026, 11, 18), (11, 5)))
    res = M.yahoo_chart("AAPL", dict(q, interval="1d"), now, granularity="3mo").body
    check("granularity override", res["chart"]["result"][0]["meta"]["dataGranularity"] == "3mo")


def test_binance():
    now_ms = int(time.time() * 1000)
    st, hd, rows = jreq("/api/v3/klines?symbol=BTCUSDT&interval=1m")
    dec8 = re.compile(r"^\d+\.\d{8}$")
    check("klines default 500", st == 200 and len(rows) == 500 and "x-mbx-used-weight-1m" in hd)
    check("kline shape", all(len(r) == 12 and isinstance(r[0], int) and isinstance(r[6], int) and isinstance(r[8], int)
                             and all(dec8.match(r[i]) for i in (1, 2, 3, 4, 5, 7, 9, 10)) and r[11] == "0"
                             for r in rows))
    check("close = next open - 1", all(a[6] == b[0] - 1 for a, b in zip(rows, rows[1:])))
    check("last kline still open", rows[-1][0] <= now_ms + 1000 and rows[-1][6] > now_ms)
    check("OHLC consistent", all(float(r[3]) <= min(float(r[1]), float(r[4])) <= max(float(r[1]), float(r[4]))
                                 <= float(r[2]) for r in rows))
    _, _, rows = jreq("/api/v3/klines?symbol=ETHUSDT&interval=1h&limit=1500")
    check("limit clamped to 1000", len(rows) == 1000)
    firsts = {"1m": D.LISTING_MS, "4h": D.LISTING_MS, "1d": utc(2017, 8, 17) * 1000,
              "1w": utc(2017, 8, 14) * 1000, "1M": utc(2017, 8, 1) * 1000}
    for iv, t0 in firsts.items():
        _, _, rows = jreq(f"/api/v3/klines?symbol=BTCUSDT&interval={iv}&startTime=0&limit=2")
        check(f"first {iv} kline", rows[0][0] == t0 and rows[1][0] == rows[0][6] + 1, rows[:1])
    end = utc(2021, 3, 1) * 1000 + 123
    _, _, rows = jreq(f"/api/v3/klines?symbol=BTCUSDT&interval=1d&endTime={end}&limit=10")
    check("endTime only -> newest up to it", len(rows) == 10 and rows[-1][0] == utc(2021, 3, 1) * 1000)
    _, _, rows = jreq(f"/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime={utc(2020, 11, 30, 4) * 1000}&limit=4")
    check("1h outage", [r[0] for r in rows] == [utc(2020, 11, 30, h) * 1000 for h in (4, 5, 7, 8)])
    _, _, rows = jreq(f"/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime={utc(2020, 11, 30, 5, 59) * 1000}&limit=2")
    check("1m outage", [r[0] for r in rows] == [utc(2020, 11, 30, 5, 59) * 1000, utc(2020, 11, 30, 7) * 1000])
    _, _, rows = jreq(f"/api/v3/klines?symbol=BTCUSDT&interval=4h&startTime={utc(2020, 11, 30, 4) * 1000}&limit=1")
    check("4h bar over outage present", rows[0][0] == utc(2020, 11, 30, 4) * 1000)
    _, _, rows = jreq(f"/api/v3/klines?symbol=ETHUSDT&interval=1h&startTime={utc(2020, 11, 30, 6) * 1000}&limit=1")
    check("no outage for ETH", rows[0][0] == utc(2020, 11, 30, 6) * 1000)
    st, _, js = jreq("/api/v3/klines?symbol=FOOUSDT&interval=1m")
    check("unknown symbol -1121", st == 400 and js == {"code": -1121, "msg": "Invalid symbol."})
    st, _, js = jreq("/api/v3/klines?symbol=BTCUSDT&interval=1H")
    check("bad interval -1120", st == 400 and js == {"code": -1120, "msg": "Invalid interval."})
    st, _, js = jreq("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=10&endTime=5")
    check("start > end -1023", st == 400 and js["code"] == -1023)
    st, _, js = jreq("/api/v3/exchangeInfo?symbol=ETHUSDT")
    check("exchangeInfo", st == 200 and js["symbols"][0]["symbol"] == "ETHUSDT" and js["timezone"] == "UTC")
    st, _, js = jreq("/api/v3/exchangeInfo?symbol=NOPE")
    check("exchangeInfo unknown", st == 400 and js["code"] == -1121)
    best = 9.0
    for _ in range(3):
        t0 = time.perf_counter()
        st, _, rows = jreq(f"/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime={utc(2024, 3, 1) * 1000}&limit=1000")
        best = min(best, time.perf_counter() - t0)
    check("1000-row 1m page < 100 ms", st == 200 and len(rows) == 1000 and best < 0.1, f"{best * 1000:.1f} ms")


def test_faults():
    reset()
    path = f"/v8/finance/chart/AAPL?period1={utc(2024)}&period2={utc(2024, 2)}&interval=1d"
    fault(provider="yahoo", mode="500")
    check("fault 500", req(path)[0] == 500 and req(path)[0] == 200)
    fault(provider="yahoo", mode="500", count=2, path_contains="MSFT")
    msft = path.replace("AAPL", "MSFT")
    check("path_contains + count", [req(path)[0], req(msft)[0], req(msft)[0], req(msft)[0]] == [200, 500, 500, 200])
    fault(provider="yahoo", mode="429", retry_after=7)
    st, hd, body = req(path)
    check("yahoo 429", st == 429 and body == b"Too Many Requests" and hd.get("retry-after") == "7")
    kl = "/api/v3/klines?symbol=BTCUSDT&interval=1d&limit=5"
    fault(provider="binance", mode="429", retry_after=3)
    st, hd, body = req(kl)
    check("binance 429", st == 429 and json.loads(body)["code"] == -1003 and hd.get("retry-after") == "3")
    fault(provider="binance", mode="418", retry_after=2)
    st, hd, _ = req(kl)
    check("binance 418", st == 418 and hd.get("retry-after") == "2")
    fault(provider="binance", mode="451")
    st, _, body = req(kl)
    js = json.loads(body)
    check("binance 451", st == 451 and js["code"] == 0 and "restricted location" in js["msg"])
    fault(provider="yahoo", mode="malformed")
    st, _, body = req(path)
    check("malformed", st == 200 and body == b'{"chart":{"result":[{"meta":')
    fault(provider="yahoo", mode="granularity")
    check("granularity", jreq(path)[2]["chart"]["result"][0]["meta"]["dataGranularity"] == "3mo")
    fault(provider="*", mode="slow", delay_ms=300)
    t0 = time.monotonic()
    check("slow", req(kl)[0] == 200 and time.monotonic() - t0 >= 0.3)
    fault(provider="binance", mode="truncate")
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
    conn.request("GET", kl)
    r = conn.getresponse()
    try:
        r.read()
        ok = False
    except http.client.IncompleteRead:
        ok = True
    check("truncate", ok and r.status == 200)
    fault(provider="yahoo", mode="stall", stall_s=1)
    t0 = time.monotonic()
    try:
        req(path, timeout=5)
        ok = False
    except (http.client.RemoteDisconnected, ConnectionError):
        ok = time.monotonic() - t0 >= 0.9
    check("stall then close", ok)
    fault(provider="yahoo", mode="stall")
    done = []
    th = threading.Thread(target=lambda: done.append(_swallow(lambda: req(path, timeout=10))))
    th.start()
    time.sleep(0.3)
    reset()
    th.join(5)
    check("reset releases stalls", not th.is_alive())
    fault(provider="*", mode="500", count=-1)
    check("count -1", [req(path)[0], req(kl)[0], req(path)[0]] == [500, 500, 500])
    reset()
    check("reset clears faults", req(path)[0] == 200)
    st, _, _ = req("/_control/fault", method="POST", body={"mode": "nope"})
    check("bad fault -> 400", st == 400)


def test_calendar():
    """US stock sessions follow the NYSE calendar (nyse.py), early closes included."""
    check("nyse self-check", nyse._self_check() == [], nyse._self_check())
    check("nyse session counts 2023-2026", [len(nyse.sessions(y)) for y in range(2023, 2027)]
          == [250, 252, 250, 251])
    check("dataset sessions are NYSE sessions", D.sessions("AAPL", 2024) == nyse.sessions(2024)
          and D.sessions("MSFT", 2012)[0] == date(2012, 1, 3))
    st, _, js = chart("AAPL", utc(2024), utc(2025), "1d")
    res = js["chart"]["result"][0]
    ts, q = res["timestamp"], res["indicators"]["quote"][0]
    days = [D.ny_date(t) for t in ts]
    check("1d 2024: 252 sessions + the bar at period2", st == 200 and len(ts) == 253
          and days[:-1] == nyse.sessions(2024) and days[-1] == date(2025, 1, 2))
    check("1d 2024: 249 non-null rows", sum(v is not None for v in q["close"][:-1]) == 249)
    check("1d 2024: no bar on NYSE holidays", not {date(2024, 1, 15), date(2024, 3, 29), date(2024, 6, 19),
                                                   date(2024, 11, 28), date(2024, 12, 25)} & set(days))
    check("1d stamps 09:30 New York, early closes too",
          all(datetime.fromtimestamp(t, D.NY).strftime("%H:%M") == "09:30" for t in ts)
          and date(2024, 11, 29) in days)
    _, _, js = chart("MSFT", utc(2025), utc(2025, 1, 15), "1d")
    check("1d: Carter closure 2025-01-09 absent", date(2025, 1, 9) not in
          [D.ny_date(t) for t in js["chart"]["result"][0]["timestamp"]])
    _, _, js = chart("AAPL", utc(2024), utc(2025), "1wk")
    ts = js["chart"]["result"][0]["timestamp"]
    check("1wk stamps stay on Mondays (holiday Mondays too)", len(ts) == 53
          and all(D.ny_date(t).weekday() == 0 for t in ts) and D.ny_epoch(date(2024, 1, 15)) in ts)
    # Early closes through the pure function (fixed clock, inside every window).
    now = D.ny_epoch(date(2026, 12, 1), (12, 0))
    day, eve = date(2026, 11, 27), date(2026, 12, 24)
    grid = {}
    for iv in ("1m", "5m", "15m", "30m", "1h"):
        q = {"period1": str(D.ny_epoch(day, (0, 0))), "period2": str(D.ny_epoch(day, (23, 0))), "interval": iv}
        ts = M.yahoo_chart("AAPL", q, now).body["chart"]["result"][0]["timestamp"]
        grid[iv] = [t for t in ts if D.ny_date(t) == day]  # without the bar at period2
    hm = lambda t: datetime.fromtimestamp(t, D.NY).strftime("%H:%M")  # noqa: E731
    check("early close 1h grid 09:30..12:30", [hm(t) for t in grid["1h"]] == ["09:30", "10:30", "11:30", "12:30"])
    check("early close 5m grid to 12:55", len(grid["5m"]) == 42 and hm(grid["5m"][-1]) == "12:55")
    check("early close 1m 210 bars, 30m to 12:30, 15m to 12:45",
          len(grid["1m"]) == 210 and hm(grid["30m"][-1]) == "12:30" and hm(grid["15m"][-1]) == "12:45")
    q = {"period1": str(D.ny_epoch(date(2026, 11, 30), (0, 0))), "period2": str(now), "interval": "1h"}
    ts = M.yahoo_chart("AAPL", q, now).body["chart"]["result"][0]["timestamp"]
    check("full day 1h grid ends 15:30", hm(ts[6]) == "15:30" and len(ts) == 10)
    meta = M.yahoo_chart("AAPL", {"period1": "1", "period2": "2", "interval": "1d"},
                         D.ny_epoch(eve, (10, 0))).body["chart"]["result"][0]["meta"]
    check("meta regular period ends 13:00 on an early close",
          meta["currentTradingPeriod"]["regular"]["end"] == D.ny_epoch(eve, (13, 0)))
    before = E.expected_rows("yahoo", "AAPL", "1d", 2026, D.ny_epoch(day, (12, 59)))
    after = E.expected_rows("yahoo", "AAPL", "1d", 2026, D.ny_epoch(day, (13, 0)))
    check("oracle: an early-close 1d bar is complete at 13:00", before[-1][0] == "2026-11-25"
          and after[-1][0] == "2026-11-27")
    rows = E.expected_rows("yahoo", "AAPL", "1h", 2026, now)
    check("oracle: early close 1h rows (UTC) 14:30..17:30", [r[0][11:16] for r in rows if r[0][:10] == "2026-11-27"]
          == ["14:30", "15:30", "16:30", "17:30"])
    # Weekly/monthly labels: the first session of the period (default) or Yahoo's stamp.
    now = time.time()
    w = [r[0] for r in E.expected_rows("yahoo", "AAPL", "1w", 2024, now)]
    wb = [r[0] for r in E.expected_rows("yahoo", "AAPL", "1w", 2024, now, period_date="bar")]
    check("oracle 1w first_session labels", w[0] == "2024-01-02" and "2024-01-16" in w and "2024-01-15" not in w
          and "2024-05-28" in w and len(w) == 53 and all(date.fromisoformat(x).weekday() == 0 for x in wb)
          and "2024-01-15" in wb)
    m = [r[0] for r in E.expected_rows("yahoo", "MSFT", "1M", 2025, now)]
    check("oracle 1M first_session labels", m[:3] == ["2025-01-02", "2025-02-03", "2025-03-03"]
          and "2025-09-02" in m and "2025-06-02" in m)
    check("oracle 1M 2023 starts 2023-01-03", E.expected_rows("yahoo", "AAPL", "1M", 2023, now)[0][0] == "2023-01-03")
    wbtc = [r[0] for r in E.expected_rows("binance", "BTCUSDT", "1w", 2024, now)]
    check("oracle binance 1w keeps Monday stamps", wbtc[0] == "2024-01-01")
    for sym, tf in (("AAPL", "1w"), ("MSFT", "1M")):
        check(f"client == oracle yahoo {sym} {tf} 2024 period_date=bar",
              yahoo_year_csv(sym, tf, 2024, now, "bar") == E.expected_csv("yahoo", sym, tf, 2024, now, "bar"))


def test_omit():
    """The omit fault: bars of a date left out, aggregates built without it."""
    reset()
    now = time.time()
    st, _, _ = req("/_control/fault", method="POST", body={"mode": "omit", "date": "2024-3-14"})
    check("omit needs YYYY-MM-DD", st == 400)
    st, _, _ = req("/_control/fault", method="POST", body={"mode": "omit"})
    check("omit needs a date", st == 400)
    st, _, _ = req("/_control/fault", method="POST", body={"mode": "omit", "date": "2024-02-30"})
    check("omit needs a real date", st == 400)
    om = ("2024-03-14", "2024-07-01")
    for d in om:
        fault(provider="yahoo", mode="omit", date=d, count=-1)
    _, _, js = chart("AAPL", utc(2024, 3), utc(2024, 4), "1d")
    days = [D.ny_date(t).isoformat() for t in js["chart"]["result"][0]["timestamp"]]
    check("yahoo 1d omitted day absent", "2024-03-14" not in days and "2024-03-13" in days
          and "2024-03-15" in days and len(days) == len([d for d in D.sessions("AAPL", 2024) if d.month == 3]))
    log = jreq("/_control/log")[2]
    check("log shows the omit", log[-1]["fault"] == "omit" and log[-1]["omit"] == list(om))
    check("faults list the omit", [f.get("date") for f in jreq("/_control/faults")[2]] == list(om))
    for sym, tf in (("AAPL", "1d"), ("MSFT", "1d"), ("AAPL", "1w"), ("MSFT", "1M")):
        exp = E.expected_csv("yahoo", sym, tf, 2024, now, omit=om)
        check(f"client == oracle yahoo {sym} {tf} 2024 omit", exp == yahoo_year_csv(sym, tf, 2024, now)
              and exp != E.expected_csv("yahoo", sym, tf, 2024, now))
    w = {r[0]: r for r in E.expected_rows("yahoo", "AAPL", "1w", 2024, now, omit=om)}
    full = {r[0]: r for r in E.expected_rows("yahoo", "AAPL", "1w", 2024, now)}
    d13, d15 = (D.yahoo_daily_bar("AAPL", date(2024, 3, d)) for d in (13, 15))
    check("oracle 1w aggregate without the omitted day", set(w) == set(full) and w["2024-03-11"] != full["2024-03-11"]
          and w["2024-03-11"][5] == full["2024-03-11"][5] - D.yahoo_daily_bar("AAPL", date(2024, 3, 14)).volume
          and w["2024-07-01"][1] == D.yahoo_daily_bar("AAPL", date(2024, 7, 2)).open
          and w["2024-03-11"][4] == d15.close and d13.date.weekday() == 2)
    # Intraday: omit the most recent complete session inside the 1h window.
    recent = nyse.prev_session(D.ny_date(int(now)) - timedelta(days=1))
    fault(provider="yahoo", mode="omit", date=recent.isoformat(), count=1)
    year = recent.year
    got = yahoo_year_csv("AAPL", "1h", year, now)
    exp = E.expected_csv("yahoo", "AAPL", "1h", year, now, omit=om + (recent.isoformat(),))
    edge = datetime.fromtimestamp(now - D.YAHOO_WINDOW_DAYS["1h"] * 86400 + 600, timezone.utc)
    got, exp = (_rows_after(text, edge.strftime("%Y-%m-%d %H:%M:%S")) for text in (got, exp))
    check("client == oracle yahoo AAPL 1h omit", got == exp and not any(r.startswith(recent.isoformat()) for r in got))
    check("omit count 1 used up", recent.isoformat() in yahoo_year_csv("AAPL", "1h", year, now))
    # Yahoo omits do not touch Binance.
    kl = f"/api/v3/klines?symbol=BTCUSDT&interval=1d&startTime={utc(2024, 3, 13) * 1000}&limit=3"
    check("yahoo omit leaves binance alone", [r[0] for r in jreq(kl)[2]] == [utc(2024, 3, d) * 1000 for d in (13, 14, 15)])
    # A replacing fault does not use up an omit; several omits apply together.
    reset()
    path = f"/v8/finance/chart/MSFT?period1={utc(2024, 3, 11)}&period2={utc(2024, 3, 16)}&interval=1d"
    fault(provider="yahoo", mode="500")
    fault(provider="*", mode="omit", date="2024-03-12", count=1)
    fault(provider="yahoo", mode="omit", date="2024-03-13", count=1)
    check("500 before omit", req(path)[0] == 500)
    _, _, js = jreq(path)
    days = [D.ny_date(t).day for t in js["chart"]["result"][0]["timestamp"]]
    check("two omits in one answer", days == [11, 14, 15, 18], days)  # 18: the bar at period2
    _, _, js = jreq(path)
    check("omits used up", [D.ny_date(t).day for t in js["chart"]["result"][0]["timestamp"]] == [11, 12, 13, 14, 15, 18])
    # Binance: the page is filled past the hole; 1d/1w/1M match the oracle.
    reset()
    fault(provider="binance", mode="omit", date="2024-03-14", count=-1)
    fault(provider="binance", mode="omit", date="2024-03-11", count=-1)  # a Monday: the 1w kline
    fault(provider="binance", mode="omit", date="2024-06-01", count=-1)  # a 1st: the 1M kline
    _, _, rows = jreq(f"/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime={utc(2024, 3, 13) * 1000}&limit=48")
    check("binance 1h page filled past the omitted day", len(rows) == 48 and rows[23][0] == utc(2024, 3, 13, 23) * 1000
          and rows[24][0] == utc(2024, 3, 15) * 1000)
    _, _, rows = jreq(f"/api/v3/klines?symbol=ETHUSDT&interval=1d&endTime={utc(2024, 3, 16) * 1000}&limit=4")
    check("binance newest page filled past the omitted day",
          [r[0] for r in rows] == [utc(2024, 3, d) * 1000 for d in (12, 13, 15, 16)])
    bom = ("2024-03-14", "2024-03-11", "2024-06-01")
    for sym, tf in (("BTCUSDT", "1d"), ("ETHUSDT", "4h"), ("BTCUSDT", "1w"), ("ETHUSDT", "1M")):
        exp = E.expected_csv("binance", sym, tf, 2024, now, omit=bom)
        check(f"client == oracle binance {sym} {tf} 2024 omit", exp == binance_year_csv(sym, tf, 2024, now)
              and exp != E.expected_csv("binance", sym, tf, 2024, now))
    check("binance omit leaves yahoo alone", "2024-03-14" in E.expected_csv("yahoo", "AAPL", "1d", 2024, now)
          and yahoo_year_csv("AAPL", "1d", 2024, now) == E.expected_csv("yahoo", "AAPL", "1d", 2024, now))
    reset()
    # Pure-function edges: the live row of an omitted today; a week with every session omitted.
    t = D.ny_epoch(date(2026, 11, 18), (11, 7))
    q = {"period1": str(utc(2026, 11, 1)), "period2": str(t + 86400), "interval": "1d"}
    ts = M.yahoo_chart("AAPL", q, t, omit=frozenset({date(2026, 11, 18)})).body["chart"]["result"][0]["timestamp"]
    check("omitted today: no live row", ts[-1] == D.ny_epoch(date(2026, 11, 17)))
    week = frozenset(date(2024, 3, d) for d in range(11, 16))
    q = {"period1": str(utc(2024, 3)), "period2": str(utc(2024, 4)), "interval": "1wk"}
    ts = M.yahoo_chart("AAPL", q, time.time(), omit=week).body["chart"]["result"][0]["timestamp"]
    w = [r[0] for r in E.expected_rows("yahoo", "AAPL", "1w", 2024, omit=week)]
    check("a week with every session omitted has no bar", D.ny_epoch(date(2024, 3, 11)) not in ts
          and D.ny_epoch(date(2024, 3, 18)) in ts and "2024-03-11" not in w and "2024-03-18" in w and len(w) == 52)


def _swallow(fn):
    try:
        return fn()
    except Exception as e:  # the stalled request ends with a disconnect
        return e


def test_log():
    reset()
    req("/v8/finance/chart/AAPL?period1=1&period2=2&interval=1d", ua="curl/8")
    req("/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=1")
    req("/nothing")
    _, _, log = jreq("/_control/log")
    check("log entries", [e["provider"] for e in log] == ["yahoo", "binance", "other"], log)
    e = log[0]
    check("log fields", e["method"] == "GET" and e["path"] == "/v8/finance/chart/AAPL" and e["status"] == 429
          and e["query"] == {"period1": "1", "period2": "2", "interval": "1d"} and e["user_agent"] == "curl/8"
          and isinstance(e["ts"], float) and log[1]["status"] == 200 and log[2]["status"] == 404)
    reset()
    check("reset clears log", jreq("/_control/log")[2] == [])
    check("health", jreq("/_control/health")[2] == {"ok": True})


def test_oracle():
    now = time.time()
    csv = E.expected_csv("yahoo", "AAPL", "1d", 2024, now)
    check("oracle header + final newline", csv.startswith("timestamp,open,high,low,close,volume,adj_close\n")
          and csv.endswith("\n") and "e" not in csv.split("\n", 1)[1])
    check("oracle drops null rows", len(csv.splitlines()) - 1 == len(D.sessions("AAPL", 2024)) - 3)
    check("oracle header-only file", E.expected_csv("yahoo", "AAPL", "1d", 2009, now)
          == "timestamp,open,high,low,close,volume,adj_close\n")
    try:
        E.expected_rows("yahoo", "AAPL", "4h", 2024, now)
        check("oracle 4h yahoo raises", False)
    except ValueError:
        check("oracle 4h yahoo raises", True)
    first = E.expected_rows("yahoo", "AAPL", "1w", 2024, now, period_date="first_session")[0][0]
    check("oracle first_session label", first == "2024-01-02")
    check("oracle intraday format", E.expected_csv("binance", "BTCUSDT", "1h", 2020, now).splitlines()[1]
          .startswith("2020-01-01 00:00:00,"))
    check("oracle all_years", E.all_years("binance", "ETHUSDT", "1d", now)[0] == 2017
          and E.all_years("yahoo", "MSFT", "1m", now)[-1] == datetime.now(timezone.utc).year)
    year = datetime.now(timezone.utc).year
    cases = [("AAPL", "1d", 2024), ("MSFT", "1d", 2012), ("MSFT", "1w", 2024), ("AAPL", "1M", 2024),
             ("AAPL", "1d", year), ("AAPL", "1h", year), ("MSFT", "5m", year)]
    for sym, tf, y in cases:
        exp = E.expected_csv("yahoo", sym, tf, y, now)
        got = yahoo_year_csv(sym, tf, y, now)
        if tf in E.INTRADAY_S:  # compare away from the moving window edge
            edge = datetime.fromtimestamp(now - D.YAHOO_WINDOW_DAYS[tf] * 86400 + 600, timezone.utc)
            exp, got = (_rows_after(text, edge.strftime("%Y-%m-%d %H:%M:%S")) for text in (exp, got))
            check(f"client == oracle yahoo {sym} {tf} {y}", exp == got and len(exp) > 0)
        else:
            check(f"client == oracle yahoo {sym} {tf} {y}", exp == got and exp.count("\n") > 1)
    for sym, tf, y in [("BTCUSDT", "1h", 2020), ("ETHUSDT", "1d", 2017), ("BTCUSDT", "1w", 2017),
                       ("BTCUSDT", "1M", 2017), ("ETHUSDT", "4h", year), ("BTCUSDT", "1d", year)]:
        exp = E.expected_csv("binance", sym, tf, y, now)
        check(f"client == oracle binance {sym} {tf} {y}", exp == binance_year_csv(sym, tf, y, now)
              and exp.count("\n") > 1)


def _rows_after(csv_text, stamp):
    return [ln for ln in csv_text.splitlines()[1:] if ln[:19] >= stamp]


# ------------------------------------------------------------ fundamentals
COOKIE = {"Cookie": F.YAHOO_COOKIE}
QS_ALL = "assetProfile,summaryDetail,defaultKeyStatistics,price,financialData,quoteType"
NOT_FOUND_AP = {"quoteSummary": {"result": None, "error": {
    "code": "Not Found", "description": "No fundamentals data found for any of the summaryTypes=assetProfile"}}}


def qs(sym, modules, crumb=F.YAHOO_CRUMB, formatted="false", headers=COOKIE, encode=True, **kw):
    c = "" if crumb is None else "&crumb=" + (urllib.parse.quote(crumb, safe="") if encode else crumb)
    f = "" if formatted is None else f"&formatted={formatted}"
    st, hd, body = req(f"/v10/finance/quoteSummary/{sym}?modules={modules}{f}{c}", headers=headers, **kw)
    return st, hd, json.loads(body) if body.startswith(b"{") else body


def current_crumb(headers=COOKIE):
    return req("/v1/test/getcrumb", headers=headers)[2].decode()


def test_fund_yahoo():
    reset()
    st, hd, body = req("/")
    cookies = hd.get("set-cookie", "").split("\n")
    a3 = [c for c in cookies if c.startswith("A3=")]
    check("yahoo cookie_url 404 + A3/A1 Set-Cookie", st == 404 and len(cookies) == 2 and len(a3) == 1
          and a3[0].startswith(F.YAHOO_COOKIE + "; Expires=") and any(c.startswith("A1=") for c in cookies)
          and all(x in a3[0] for x in ("; Path=/", "; Domain=127.0.0.1", "; Secure", "; HttpOnly",
                                       "; SameSite=None")), cookies)
    exp = a3[0].split("; Expires=")[1].split(";")[0] if a3 else ""
    check("cookie expires in the future", exp.endswith(" GMT")
          and email.utils.parsedate_to_datetime(exp).timestamp() > time.time() + 86400)
    check("cookie_url needs a browser UA", req("/", ua="curl/8")[0] == 429)
    st, hd, body = req("/v1/test/getcrumb", headers=COOKIE)
    check("getcrumb", st == 200 and body == F.YAHOO_CRUMB.encode() == b"Ab1/Cd2.Ef3"
          and hd["content-type"].startswith("text/plain"))
    st, hd, body = req("/v1/test/getcrumb")
    check("getcrumb without cookie -> 403 empty", st == 403 and body == b"" and hd["content-length"] == "0")
    st, _, body = req("/v1/test/getcrumb", headers={"Cookie": "A3=d=other"})
    check("getcrumb wrong cookie -> 403 empty", st == 403 and body == b"")
    st, _, _ = req("/v1/test/getcrumb", headers=COOKIE, ua="curl/8")
    check("getcrumb curl UA -> 429", st == 429)
    st, _, body = req("/v1/test/getcrumb", headers={"Cookie": "B=x; " + F.YAHOO_COOKIE + "; A1S=y"})
    check("getcrumb cookie among others", st == 200 and body == b"Ab1/Cd2.Ef3")
    mods = "assetProfile,summaryDetail,defaultKeyStatistics,price,financialData"
    st, hd, js = qs("AAPL", mods)
    res = js["quoteSummary"]["result"][0] if st == 200 else {}
    check("quoteSummary AAPL", st == 200 and js["quoteSummary"]["error"] is None and list(res) == mods.split(",")
          and all(res[m] == F.payload("yahoo", "AAPL", m) for m in res), (st, js if st != 200 else ""))
    check("quoteSummary AAPL fields", res["assetProfile"]["sector"] == "Technology"
          and res["assetProfile"]["industry"] == "Consumer Electronics"
          and res["assetProfile"]["fullTimeEmployees"] == 150000 and "longBusinessSummary" in res["assetProfile"]
          and res["assetProfile"]["website"] == "https://www.apple.com"
          and res["price"]["exchangeName"] == "NasdaqGS" and res["price"]["currency"] == "USD"
          and isinstance(res["price"]["regularMarketTime"], int) and res["price"]["longName"] == "Apple Inc."
          and res["summaryDetail"]["marketCap"] == res["price"]["marketCap"] == 2942301290496
          and res["summaryDetail"]["trailingPE"] == 30.614 and res["summaryDetail"]["dividendYield"] == 0.0052
          and res["defaultKeyStatistics"]["floatShares"] == 14911480604
          and res["defaultKeyStatistics"]["sharesOutstanding"] == 14935799808
          and res["defaultKeyStatistics"]["trailingEps"] == 6.42 and res["defaultKeyStatistics"]["category"] is None
          and "quoteType" not in res and "currentPrice" in res["financialData"])
    st, _, js = qs("MSFT", "price,assetProfile")
    res = js["quoteSummary"]["result"][0]
    check("quoteSummary MSFT only the requested modules", st == 200 and set(res) == {"price", "assetProfile"}
          and res["assetProfile"]["sector"] == "Technology" and res["price"]["exchangeName"] == "NasdaqGS")
    st, _, js = qs("AAPL", "price%2CsummaryDetail")
    check("quoteSummary modules %2C", st == 200 and set(js["quoteSummary"]["result"][0]) == {"price", "summaryDetail"})
    st, _, js = qs("AAPL", "summaryDetail,price", formatted=None)
    sd = js["quoteSummary"]["result"][0]["summaryDetail"]
    check("formatted (default) -> raw/fmt objects", st == 200 and sd["marketCap"]["raw"] == 2942301290496
          and sd["marketCap"]["fmt"] == "2.94T" and sd["dividendYield"] == {"raw": 0.0052, "fmt": "0.52%"}
          and sd["trailingPE"] == {"raw": 30.614, "fmt": "30.61"} and sd["currency"] == "USD"
          and sd["fromCurrency"] == {} and js["quoteSummary"]["result"][0]["price"]["longName"] == "Apple Inc.")
    st, _, js2 = qs("AAPL", "summaryDetail,price", formatted="true")
    check("formatted=true == default", js2 == js)
    st, _, js = qs("SPY", QS_ALL)
    res = js["quoteSummary"]["result"][0]
    check("quoteSummary SPY: only summaryDetail, price, quoteType", st == 200
          and list(res) == ["summaryDetail", "price", "quoteType"] and res["quoteType"]["quoteType"] == "ETF"
          and "marketCap" not in res["price"] and res["summaryDetail"]["yield"] == 0.0121)
    st, _, js = qs("SPY", "assetProfile")
    check("quoteSummary SPY assetProfile -> 404", st == 404 and js == NOT_FOUND_AP, js)
    st, _, js = qs("ZZZZ", "assetProfile")
    check("quoteSummary unknown -> 404", st == 404 and js == NOT_FOUND_AP, js)
    st, _, js = qs("ZZZZ", "assetProfile,price")
    check("quoteSummary unknown, 2 modules", st == 404 and js["quoteSummary"]["error"]["description"]
          == "No fundamentals data found for any of the summaryTypes=assetProfile,price")
    st, _, js = qs("AAPL", "")
    check("quoteSummary without modules -> 400", st == 400 and js["quoteSummary"]["error"]["code"] == "Bad Request")
    for name, kw in (("no crumb", {"crumb": None}), ("wrong crumb", {"crumb": "Ab1/Cd2.Ef4"}),
                     ("crumb not percent-encoded", {"encode": False}), ("no cookie", {"headers": {}}),
                     ("wrong cookie", {"headers": {"Cookie": "A3=d=AQABBTEST&S=other"}})):
        st, _, js = qs("AAPL", "price", **kw)
        check(f"quoteSummary {name} -> 401 Invalid Crumb", st == 401 and js == F.INVALID_CRUMB and js == {
            "finance": {"result": None, "error": {"code": "Unauthorized", "description": "Invalid Crumb"}}})
    st, _, js = qs("AAPL", "price", crumb="Ab1%2fCd2.Ef3", encode=False)
    check("lower-case %2f accepted", st == 200)
    check("quoteSummary needs a browser UA", qs("AAPL", "price", ua="curl/8")[0] == 429)
    check("unknown yahoo path 404", req("/v1/nothing")[0] == 404)


def test_fund_crumb_rotate():
    reset()
    st, _, _ = req("/_control/fault", method="POST", body={"provider": "fmp", "mode": "crumb_rotate"})
    check("crumb_rotate is yahoo-only", st == 400)
    fault(provider="yahoo", mode="crumb_rotate", count=1)
    check("chart request does not use up crumb_rotate",
          chart("AAPL", utc(2024), utc(2024, 2), "1d")[0] == 200 and current_crumb() == F.YAHOO_CRUMB)
    st, _, js = qs("AAPL", "price")
    check("crumb_rotate: old crumb -> 401 Invalid Crumb", st == 401 and js == F.INVALID_CRUMB)
    log = jreq("/_control/log")[2]
    check("crumb_rotate logged", log[-1]["fault"] == "crumb_rotate" and log[-1]["status"] == 401
          and log[1]["fault"] is None)
    new = current_crumb()
    check("new crumb after rotation", new == F.crumb(1) == "Rt1/Cd2.Ef3" and new != F.YAHOO_CRUMB
          and jreq("/_control/yahoo")[2] == {"cookie": F.YAHOO_COOKIE, "crumb": new, "generation": 1})
    check("retry with the new crumb succeeds", qs("AAPL", "price", crumb=new)[0] == 200)
    check("old crumb stays invalid", qs("AAPL", "price")[0] == 401)
    fault(provider="yahoo", mode="crumb_rotate", count=2)
    check("count 2: two 401s even with fresh crumbs", qs("AAPL", "price", crumb=current_crumb())[0] == 401
          and qs("AAPL", "price", crumb=current_crumb())[0] == 401
          and qs("AAPL", "price", crumb=current_crumb())[0] == 200 and current_crumb() == F.crumb(3))
    fault(provider="*", mode="crumb_rotate", path_contains="MSFT")
    check("crumb_rotate + path_contains", qs("AAPL", "price", crumb=current_crumb())[0] == 200
          and qs("MSFT", "price", crumb=current_crumb())[0] == 401)
    reset()
    check("reset restores the first crumb", current_crumb() == F.YAHOO_CRUMB and qs("AAPL", "price")[0] == 200)


def test_fund_yahoo_curl():
    """libcurl must store the A3 cookie (Domain=127.0.0.1, Secure over http to 127.0.0.1) and send it back."""
    curl = shutil.which("curl")
    if not curl:
        return
    reset()
    with tempfile.TemporaryDirectory() as tmp:
        jar, base = os.path.join(tmp, "jar"), f"http://127.0.0.1:{PORT}"
        run = lambda *a: subprocess.run([curl, "-s", "-A", UA, "-c", jar, "-b", jar, *a],  # noqa: E731
                                        capture_output=True, text=True, timeout=20).stdout
        run("-o", "/dev/null", base)
        crumb = run(base + "/v1/test/getcrumb")
        out = run(base + "/v10/finance/quoteSummary/AAPL?modules=price&formatted=false&crumb="
                  + urllib.parse.quote(crumb, safe=""))
    check("curl cookie jar flow", crumb == F.YAHOO_CRUMB and '"exchangeName":"NasdaqGS"' in out, (crumb, out[:200]))


def test_fund_fmp():
    reset()
    k = "apikey=test-fmp-key"
    st, _, js = jreq(f"/stable/profile?symbol=AAPL&{k}")
    p = js[0] if st == 200 and js else {}
    check("fmp profile AAPL", st == 200 and len(js) == 1 and js == F.payload("fmp", "AAPL", "profile")
          and p["companyName"] == "Apple Inc." and p["exchange"] == "NASDAQ" and p["currency"] == "USD"
          and p["sector"] == "Technology" and p["industry"] == "Consumer Electronics"
          and p["range"] == "164.08-260.1" and p["fullTimeEmployees"] == "164000" and isinstance(p["marketCap"], int)
          and p["beta"] == 1.211 and p["lastDividend"] == 1.01 and p["website"] == "https://www.apple.com"
          and p["description"].startswith("Apple Inc."))
    st, _, js = jreq(f"/stable/ratios-ttm?symbol=AAPL&{k}")
    check("fmp ratios-ttm AAPL", st == 200 and js[0]["priceToEarningsRatioTTM"] == 30.71283
          and js[0]["dividendYieldTTM"] == 0.005138 and js == F.payload("fmp", "AAPL", "ratios-ttm"))
    st, _, js = jreq(f"/stable/ratios-ttm?symbol=MSFT&{k}")
    check("fmp ratios-ttm MSFT values as strings", st == 200 and js[0]["priceToEarningsRatioTTM"] == "36.55818"
          and js[0]["dividendYieldTTM"] == "0.006805")
    st, _, js = jreq(f"/stable/shares-float?symbol=AAPL&{k}")
    check("fmp shares-float AAPL", st == 200 and js[0]["floatShares"] == 14911473020
          and js[0]["outstandingShares"] == 14935826000 and js[0]["freeFloat"] == 99.8367
          and js == F.payload("fmp", "AAPL", "shares-float"))
    st, _, js = jreq(f"/stable/profile?symbol=MSFT&{k}")
    check("fmp profile MSFT", st == 200 and js[0]["fullTimeEmployees"] == "228000" and js[0]["exchange"] == "NASDAQ")
    for ep in F.FMP_ENDPOINTS:
        st, _, js = jreq(f"/stable/{ep}?symbol=ZZZZ&{k}")
        check(f"fmp {ep} unknown -> [] 200", st == 200 and js == [])
    st, _, js = jreq(f"/stable/profile?symbol=SPY&{k}")
    check("fmp SPY: ETF profile, no ratios/float", js[0]["isEtf"] is True and js[0]["sector"] == ""
          and jreq(f"/stable/ratios-ttm?symbol=SPY&{k}")[2] == []
          and jreq(f"/stable/shares-float?symbol=SPY&{k}")[2] == [])
    for q in ("symbol=AAPL", "symbol=AAPL&apikey="):
        st, _, js = jreq(f"/stable/profile?{q}")
        check(f"fmp missing key ({q}) -> 401", st == 401 and js["Error Message"].startswith("Invalid API KEY."))
    st, _, js = jreq("/stable/profile?symbol=AAPL", headers={"apikey": "hdr-key"})
    check("fmp apikey header", st == 200 and js[0]["symbol"] == "AAPL")
    st, _, js = jreq(f"/stable/profile?{k}")
    check("fmp missing symbol -> 400", st == 400 and "Error Message" in js)
    fault(provider="fmp", mode="limit")
    st, hd, js = jreq(f"/stable/profile?symbol=AAPL&{k}")
    check("fmp limit -> 429 Limit Reach", st == 429 and js == F.FMP_LIMIT and "retry-after" not in hd
          and js["Error Message"].startswith("Limit Reach . Please upgrade your plan"))
    check("fmp limit used up", jreq(f"/stable/profile?symbol=AAPL&{k}")[0] == 200)
    st, _, _ = req("/_control/fault", method="POST", body={"provider": "tiingo", "mode": "limit"})
    check("limit is fmp-only", st == 400)


def test_fund_alphavantage():
    reset()
    base = "/query?function=OVERVIEW&apikey=test-av-key&symbol="
    st, _, js = jreq(base + "AAPL")
    check("av OVERVIEW AAPL", st == 200 and js == F.truth("alphavantage", "AAPL")
          and all(isinstance(v, str) for v in js.values()) and js["Sector"] == "TECHNOLOGY"
          and js["Exchange"] == "NASDAQ" and js["Currency"] == "USD" and js["MarketCapitalization"] == "2942301290000"
          and js["52WeekHigh"] == "259.47" and js["OfficialSite"] == "https://www.apple.com"
          and js["LatestQuarter"] == "2025-03-31" and js["PEGRatio"] == "None"
          and {"Symbol", "AssetType", "Name", "Description", "Country", "Industry", "SharesOutstanding",
               "SharesFloat", "PERatio", "EPS", "DividendYield", "Beta", "52WeekLow"} <= set(js))
    st, _, js = jreq(base + "MSFT")
    check("av OVERVIEW MSFT PERatio None", st == 200 and js["PERatio"] == "None" and js["Sector"] == "TECHNOLOGY")
    st, _, js = jreq(base + "ZZZZ")
    check("av unknown -> {}", st == 200 and js == {} and jreq(base + "SPY")[2] == {})
    for q in ("function=OVERVIEW&symbol=AAPL", "function=OVERVIEW&symbol=AAPL&apikey="):
        st, _, js = jreq("/query?" + q)
        check(f"av missing key ({q}) -> 200 Error Message", st == 200 and list(js) == ["Error Message"]
              and js["Error Message"].startswith("the parameter apikey is invalid or missing."))
    st, _, js = jreq("/query?function=NOPE&symbol=AAPL&apikey=k")
    check("av unknown function", st == 200 and "Error Message" in js)
    fault(provider="alphavantage", mode="note")
    fault(provider="alphavantage", mode="information")
    st, _, js = jreq(base + "AAPL")
    check("av note -> 200 Note", st == 200 and js == F.AV_NOTE and js["Note"].startswith(
        "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls "
        "per day."))
    st, _, js = jreq(base + "AAPL")
    check("av information -> 200 Information", st == 200 and js == F.AV_INFORMATION and js["Information"].startswith(
        "Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day."))
    check("av faults used up", jreq(base + "AAPL")[2]["Symbol"] == "AAPL")
    st, _, _ = req("/_control/fault", method="POST", body={"provider": "yahoo", "mode": "note"})
    check("note is alphavantage-only", st == 400)
    fault(provider="*", mode="note")
    check("note with provider * skips other providers", qs("AAPL", "price")[0] == 200
          and jreq(base + "AAPL")[2] == F.AV_NOTE)


def test_fund_polygon():
    reset()
    st, _, js = jreq("/v3/reference/tickers/AAPL?apiKey=test-polygon-key")
    r = js.get("results", {})
    check("polygon ticker AAPL", st == 200 and js["status"] == "OK" and isinstance(js["request_id"], str)
          and r == F.truth("polygon", "AAPL") and r["market"] == "stocks" and r["primary_exchange"] == "XNAS"
          and r["type"] == "CS" and r["active"] is True and r["currency_name"] == "usd"
          and isinstance(r["market_cap"], float) and r["sic_description"] == "ELECTRONIC COMPUTERS"
          and r["share_class_shares_outstanding"] == 14939310000 and r["weighted_shares_outstanding"] == 14935826000
          and r["homepage_url"] == "https://www.apple.com" and r["list_date"] == "1980-12-12" and "description" in r)
    st, _, js = jreq("/v3/reference/tickers/MSFT", headers={"Authorization": "Bearer test-polygon-key"})
    check("polygon Bearer", st == 200 and js["results"]["ticker"] == "MSFT")
    st, _, js = jreq("/v3/reference/tickers/SPY?apiKey=k")
    check("polygon SPY ETF", st == 200 and js["results"]["type"] == "ETF" and "market_cap" not in js["results"])
    st, _, js = jreq("/v3/reference/tickers/ZZZZ?apiKey=k")
    check("polygon unknown -> 404", st == 404 and js["status"] == "NOT_FOUND" and js["message"] == "Ticker not found."
          and set(js) == {"status", "request_id", "message"})
    for q in ("", "?apiKey="):
        st, _, js = jreq("/v3/reference/tickers/AAPL" + q)
        check(f"polygon missing key ({q!r}) -> 401", st == 401 and js["status"] == "ERROR"
              and js["error"] == "API Key was not provided" and "request_id" in js)
    st, _, js = jreq("/v3/reference/tickers/AAPL", headers={"Authorization": "Bearer "})
    check("polygon empty Bearer -> 401", st == 401)


def test_fund_tiingo():
    reset()
    tok = {"Authorization": "Token test-tiingo-key"}
    st, _, js = jreq("/tiingo/daily/AAPL")
    check("tiingo no token -> 401", st == 401 and js == {"detail": "Please supply a token"})
    for bad in ("Bearer x", "Token ", "Token"):
        st, _, js = jreq("/tiingo/daily/AAPL", headers={"Authorization": bad})
        check(f"tiingo {bad!r} -> 401 Invalid token.", st == 401 and js == {"detail": "Invalid token."})
    st, _, js = jreq("/tiingo/daily/aapl", headers=tok)
    check("tiingo meta (lower-case ticker)", st == 200 and js == F.payload("tiingo", "AAPL", "meta")
          and js["ticker"] == "AAPL" and js["exchangeCode"] == "NASDAQ" and js["startDate"] == "1980-12-12"
          and re.fullmatch(r"\d{4}-\d\d-\d\d", js["endDate"]) and js["name"] and js["description"])
    st, _, rows = jreq("/tiingo/fundamentals/AAPL/daily", headers=tok)
    today = datetime.now(D.NY).date().isoformat()
    check("tiingo fundamentals daily", st == 200 and len(rows) == F.TIINGO_DAILY_ROWS
          and rows == F.payload("tiingo", "AAPL", "daily")
          and all(re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00\.000Z", r["date"]) for r in rows)
          and [r["date"] for r in rows] == sorted(r["date"] for r in rows) and rows[-1]["date"][:10] < today
          and all(set(r) == {"date", "marketCap", "enterpriseVal", "peRatio", "pbRatio", "trailingPEG1Y"}
                  for r in rows)
          and all(nyse.is_session(date.fromisoformat(r["date"][:10])) for r in rows))
    st, _, js = jreq(f"/tiingo/fundamentals/MSFT/daily?startDate={rows[-2]['date'][:10]}", headers=tok)
    check("tiingo startDate filter", st == 200 and len(js) == 2 and js[-1]["date"] == rows[-1]["date"])
    st, _, js = jreq("/tiingo/daily/MSFT?token=test-tiingo-key")
    check("tiingo token query param", st == 200 and js["ticker"] == "MSFT")
    st, _, js = jreq("/tiingo/daily/ZZZZ", headers=tok)
    check("tiingo unknown -> 404", st == 404 and js == {"detail": "Error: Ticker 'ZZZZ' not found"})
    st, _, js = jreq("/tiingo/fundamentals/ZZZZ/daily", headers=tok)
    check("tiingo fundamentals unknown -> 404", st == 404 and js == {"detail": "Error: Ticker 'ZZZZ' not found"})
    st, _, js = jreq("/tiingo/fundamentals/SPY/daily", headers=tok)
    check("tiingo SPY: meta, no fundamentals rows", jreq("/tiingo/daily/SPY", headers=tok)[0] == 200
          and st == 200 and js == [])
    fault(provider="tiingo", mode="fundamentals_forbidden", count=1)
    st, _, js = jreq("/tiingo/daily/AAPL", headers=tok)
    check("fundamentals_forbidden: metadata still works", st == 200 and js["ticker"] == "AAPL")
    st, _, js = jreq("/tiingo/fundamentals/AAPL/daily", headers=tok)
    check("fundamentals_forbidden -> 403", st == 403 and js == {
        "detail": "You do not have permission to access the Fundamentals API"})
    check("fundamentals_forbidden used up", jreq("/tiingo/fundamentals/AAPL/daily", headers=tok)[0] == 200)
    st, _, _ = req("/_control/fault", method="POST", body={"provider": "polygon", "mode": "fundamentals_forbidden"})
    check("fundamentals_forbidden is tiingo-only", st == 400)


FUND_PATHS = {
    "yahoo": ("/v10/finance/quoteSummary/AAPL?modules=price&formatted=false&crumb=Ab1%2FCd2.Ef3", COOKIE),
    "fmp": ("/stable/profile?symbol=AAPL&apikey=test-fmp-key", {}),
    "alphavantage": ("/query?function=OVERVIEW&symbol=AAPL&apikey=test-av-key", {}),
    "polygon": ("/v3/reference/tickers/AAPL?apiKey=test-polygon-key", {}),
    "tiingo": ("/tiingo/fundamentals/AAPL/daily", {"Authorization": "Token test-tiingo-key"}),
}


def test_fund_faults():
    """The generic modes work on the fundamentals paths, with each provider's body."""
    reset()
    for prov, (path, hdr) in FUND_PATHS.items():
        check(f"{prov} normal 200", req(path, headers=hdr)[0] == 200)
        fault(provider=prov, mode="500")
        check(f"{prov} 500", req(path, headers=hdr)[0] == 500 and req(path, headers=hdr)[0] == 200)
        fault(provider=prov, mode="429", retry_after=5)
        st, hd, body = req(path, headers=hdr)
        check(f"{prov} 429", st == 429 and hd.get("retry-after") == "5")
        if prov != "yahoo":
            check(f"{prov} 429 body", json.loads(body) == F.rate_limit(prov, path)[1])
        fault(provider=prov, mode="malformed")
        st, _, body = req(path, headers=hdr)
        try:
            json.loads(body)
            bad = False
        except ValueError:
            bad = True
        check(f"{prov} malformed", st == 200 and bad and len(body) > 10, body)
        fault(provider=prov, mode="truncate")
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
        conn.request("GET", path, headers=dict(hdr, **{"User-Agent": UA}))
        r = conn.getresponse()
        try:
            r.read()
            ok = False
        except http.client.IncompleteRead:
            ok = True
        conn.close()
        check(f"{prov} truncate", ok and r.status == 200)
        fault(provider=prov, mode="slow", delay_ms=200)
        t0 = time.monotonic()
        check(f"{prov} slow", req(path, headers=hdr)[0] == 200 and time.monotonic() - t0 >= 0.2)
    fault(provider="polygon", mode="stall", stall_s=1)
    t0 = time.monotonic()
    try:
        req(FUND_PATHS["polygon"][0], timeout=5)
        ok = False
    except (http.client.RemoteDisconnected, ConnectionError):
        ok = time.monotonic() - t0 >= 0.9
    check("polygon stall then close", ok)
    fault(provider="fmp", mode="500", path_contains="ratios-ttm")
    check("fmp path_contains", req(FUND_PATHS["fmp"][0])[0] == 200
          and req("/stable/ratios-ttm?symbol=AAPL&apikey=k")[0] == 500)
    fault(provider="tiingo", mode="500")
    check("a tiingo fault leaves fmp alone", req(FUND_PATHS["fmp"][0])[0] == 200
          and req(FUND_PATHS["tiingo"][0], headers=FUND_PATHS["tiingo"][1])[0] == 500)
    for prov in ("yahoo", "fmp", "alphavantage", "polygon", "tiingo"):
        st, _, js = jreq("/_control/fault", method="POST", body={"provider": prov, "mode": "500", "count": 0})
        check(f"fault provider {prov} accepted", st == 200 and js["fault"]["provider"] == prov)
    st, _, _ = req("/_control/fault", method="POST", body={"provider": "nope", "mode": "500"})
    check("unknown provider -> 400", st == 400)
    reset()


def test_fund_log():
    reset()
    for prov, (path, hdr) in FUND_PATHS.items():
        req(path, headers=hdr)
    req("/")
    req("/tiingo/daily/AAPL", headers={"Authorization": "Token test-tiingo-key"})
    _, _, log = jreq("/_control/log")
    check("log provider names", [e["provider"] for e in log] == list(FUND_PATHS) + ["yahoo", "tiingo"], log)
    by = {e["provider"]: e for e in log}
    check("log keeps keys as given", log[1]["query"]["apikey"] == "test-fmp-key"
          and log[2]["query"]["apikey"] == "test-av-key" and log[3]["query"]["apiKey"] == "test-polygon-key"
          and log[4]["headers"]["authorization"] == "Token test-tiingo-key"
          and log[0]["query"]["crumb"] == "Ab1/Cd2.Ef3" and "crumb=Ab1%2FCd2.Ef3" in log[0]["raw_query"]
          and log[0]["headers"]["cookie"] == F.YAHOO_COOKIE and by["fmp"]["status"] == 200
          and all(e["status"] == 200 for e in log[:5]) and log[5]["path"] == "/" and log[5]["status"] == 404)
    reset()


def test_fund_truth():
    t = F.truth("fmp", "AAPL")
    check("truth fmp", t["companyName"] == "Apple Inc." and t["fullTimeEmployees"] == "164000"
          and t["priceToEarningsRatioTTM"] == 30.71283 and t["floatShares"] == 14911473020
          and t["freeFloat"] == 99.8367)
    t = F.truth("yahoo", "AAPL")
    check("truth yahoo (flat, plain numbers)", t["sector"] == "Technology" and t["marketCap"] == 2942301290496
          and t["floatShares"] == 14911480604 and t["exchangeName"] == "NasdaqGS" and "maxAge" not in t)
    check("truth yahoo SPY", "sector" not in F.truth("yahoo", "SPY") and F.truth("yahoo", "SPY")["quoteType"] == "ETF")
    check("truth unknown -> None", all(F.truth(p, "ZZZZ") is None for p in F.PROVIDERS)
          and F.truth("alphavantage", "SPY") is None)
    t = F.truth("tiingo", "MSFT")
    check("truth tiingo: meta + newest row", t["exchangeCode"] == "NASDAQ"
          and t["marketCap"] == F.payload("tiingo", "MSFT", "daily")[-1]["marketCap"]
          and t["endDate"] == t["date"][:10])
    caps = {p: F.truth(p, "AAPL")[k] for p, k in (("yahoo", "marketCap"), ("fmp", "marketCap"),
                                                  ("alphavantage", "MarketCapitalization"),
                                                  ("polygon", "market_cap"), ("tiingo", "marketCap"))}
    check("providers disagree on market cap", len({float(v) for v in caps.values()}) == 5, caps)
    check("truth is a copy", F.truth("fmp", "AAPL") is not F.truth("fmp", "AAPL")
          and F.payload("fmp", "AAPL", "profile") == F.payload("fmp", "AAPL", "profile"))
    now = D.ny_epoch(date(2026, 11, 30), (12, 0))  # a Monday after Thanksgiving week
    check("tiingo dates: 5 sessions before today", [d.isoformat() for d in F.tiingo_dates(now)]
          == ["2026-11-20", "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27"])
    check("parts", F.parts("yahoo", "SPY") == ["summaryDetail", "price", "quoteType"]
          and F.parts("fmp", "SPY") == ["profile"] and F.parts("tiingo", "SPY") == ["meta"])


def main():
    global PORT
    tmp = tempfile.mkdtemp(prefix="mockprovider-selftest-")
    port_file = os.path.join(tmp, "port")
    server = os.path.join(HERE, "mockprovider.py")
    rc = subprocess.run([sys.executable, server, "--port", "0", "--port-file", port_file, "--bind", "0.0.0.0"],
                        capture_output=True, timeout=30).returncode
    check("refuses non-loopback bind", rc == 2)
    proc = subprocess.Popen([sys.executable, server, "--port", "0", "--port-file", port_file])
    try:
        for _ in range(100):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        with open(port_file) as fh:
            PORT = int(fh.read())
        check("health", jreq("/_control/health")[2] == {"ok": True})
        for test in (test_yahoo, test_yahoo_inprocess, test_binance, test_faults, test_log, test_oracle,
                     test_calendar, test_omit, test_fund_yahoo, test_fund_crumb_rotate, test_fund_yahoo_curl,
                     test_fund_fmp, test_fund_alphavantage, test_fund_polygon, test_fund_tiingo,
                     test_fund_faults, test_fund_log, test_fund_truth):
            try:
                test()
            except Exception as e:  # report and continue with the next group
                check(test.__name__, False, f"raised {type(e).__name__}: {e}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = None
        check("SIGTERM exits cleanly", rc == 0, f"rc={rc}")
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 0 if RESULTS["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
