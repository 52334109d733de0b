"""FirstRateData bulk archives for the mock (PROVIDERS.md section 8).

/api/data_file answers a 302 to /fr/files/<name>.zip on the same host (the
real one redirects to Backblaze B2); the zip holds one headerless CSV .txt
per ticker with CRLF line ends and a blank line. The stock archive holds
AAPL, MSFT and NVDA (dataset truth, split-adjusted, as adj_split) and 97
synthetic tickers; ticker_range=L keeps the tickers starting with L, and
period=day without ticker_range is one zip of all 100. Intraday entries
exist for the three real stocks only, for the last 30 days. ZBOMB
(ticker_range=Z) is one entry of 1 GiB of zeros. A missing userid gets
the real small text answer "Invalid userid" with HTTP 200.
"""
import io
import threading
import zipfile
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dataset as D

NY = ZoneInfo("America/New_York")
TIMEFRAMES = {"1min": "1m", "5min": "5m", "30min": "30m", "1hour": "1h", "1day": "1d"}
REAL = ("AAPL", "MSFT", "NVDA")
SYNTHETIC = tuple(chr(65 + i % 26) + "Q" + str(i) for i in range(97))
BOMB_BYTES = 1 << 30
_CACHE = {}
_LOCK = threading.Lock()


def _today(now):
    return D.ny_date(int(now))


def _num(x):
    return ("%.4f" % x).rstrip("0").rstrip(".")


def _daily_rows(sym, now):
    """Completed sessions only: the archive is built the morning after."""
    today = _today(now)
    if sym in D.STOCKS:
        return ["%s,%s,%s,%s,%s,%d" % (b.date.isoformat(), _num(b.open), _num(b.high), _num(b.low),
                                       _num(b.close), b.volume)
                for b in D.yahoo_daily_truth(sym, D.STOCKS[sym], today - timedelta(days=1))]
    seed = sum(map(ord, sym))
    rows, d = [], today - timedelta(days=10)
    while d < today:
        if D.is_session(d):
            p = 10 + seed % 50 + d.day / 10
            rows.append("%s,%s,%s,%s,%s,%d" % (d.isoformat(), _num(p), _num(p + 1), _num(p - 1),
                                               _num(p + 0.5), 1000 + seed))
        d += timedelta(days=1)
    return rows


def _intraday_rows(sym, tf, now):
    interval = TIMEFRAMES[tf]
    step = D.YAHOO_INTRADAY[interval]
    end = int(now) // step * step
    out = []
    for b in D.yahoo_intraday_truth(sym, interval, end - 30 * 86400, end):
        if b.t + step <= now:
            local = datetime.fromtimestamp(b.t, NY).strftime("%Y-%m-%d %H:%M:%S")
            out.append("%s,%s,%s,%s,%s,%d" % (local, _num(b.open), _num(b.high), _num(b.low),
                                              _num(b.close), b.volume))
    return out


def _entry_text(rows):
    # CRLF, and a blank line in the middle, as FirstRate files have.
    lines = rows[:1] + [""] + rows[1:]
    return ("\r\n".join(lines) + "\r\n").encode()


def _stock_zip(period, tf, letter, now):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for sym in REAL + SYNTHETIC:
            if letter and not sym.startswith(letter):
                continue
            if tf != "1day" and sym not in REAL:
                continue
            rows = _daily_rows(sym, now) if tf == "1day" else _intraday_rows(sym, tf, now)
            z.writestr("%s_%s_%s_adjsplit.txt" % (sym, period, tf), _entry_text(rows))
    return buf.getvalue()


def _bomb_zip():
    buf = io.BytesIO()
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("ZBOMB_full_1day_adj_split.txt", "w", force_zip64=True) as f:
            for _ in range(BOMB_BYTES // len(zeros)):
                f.write(zeros)
    return buf.getvalue()


def _other_zip(typ, period, tf, now):
    """Small synthetic archives for the other classes (daily only)."""
    names = {"index": ("SPX", "NDX"), "futures": ("ES", "NQ"), "fx": ("EURUSD",),
             "crypto": ("BTC", "ETH")}[typ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for sym in names:
            rows = _daily_rows(sym, now) if tf == "1day" else []
            if typ == "index":
                rows = [r.rsplit(",", 1)[0] for r in rows]  # no volume column
            if typ == "futures":
                rows = [r + ",12345" for r in rows]  # open interest
            z.writestr("%s_%s_%s.txt" % (sym, period, tf), _entry_text(rows))
    return buf.getvalue()


def _archive(name, now):
    typ, period, tf, letter = (name.split("-") + [""])[:4]
    key = (name, _today(now))
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    if typ == "stock" and letter == "Z" and period == "full":
        body = _bomb_zip()
    elif typ == "stock":
        body = _stock_zip(period, tf, letter, now)
    else:
        body = _other_zip(typ, period, tf, now)
    with _LOCK:
        _CACHE[key] = body
    return body


def _data_file(query):
    typ, period, tf = query.get("type", ""), query.get("period", ""), query.get("timeframe", "")
    if typ not in ("stock", "etf", "index", "futures", "fx", "crypto") or tf not in TIMEFRAMES \
            or period not in ("full", "month", "week", "day"):
        return 200, "Invalid request parameters"
    letter = query.get("ticker_range", "").upper()
    if typ in ("stock", "etf") and period == "full" and not letter:
        return 200, "ticker_range is required for period=full"
    name = "-".join(x for x in (typ if typ != "etf" else "stock", period, tf, letter) if x)
    return 302, "", {"Location": "/fr/files/%s.zip" % name}


def _last_update(now):
    d = _today(now) - timedelta(days=1)
    while not D.is_session(d):
        d -= timedelta(days=1)
    return d.isoformat()


def _listing(now):
    rows = ["Ticker,Name,First Date,Last Date"]
    last = _last_update(now)
    for sym in REAL:
        rows.append("%s,%s Inc.,%s,%s" % (sym, sym, D.STOCKS[sym].isoformat(), last))
    for sym in SYNTHETIC:
        rows.append("%s,Synthetic %s,%s,%s" % (sym, sym, (_today(now) - timedelta(days=10)).isoformat(), last))
    return "\r\n".join(rows) + "\r\n"


def route(path, query, headers, now, target):
    if path.startswith("/fr/files/") and path.endswith(".zip"):
        return 200, _archive(path[len("/fr/files/"):-4], now), {}, "application/zip"
    if path not in ("/api/data_file", "/api/last_update", "/api/ticker_listing"):
        return None
    if not query.get("userid"):
        return 200, "Invalid userid", {}, "text/html; charset=utf-8"
    if path == "/api/data_file":
        return _data_file(query)
    if path == "/api/last_update":
        return 200, _last_update(now), {}, "text/plain"
    return 200, _listing(now), {}, "text/csv"
