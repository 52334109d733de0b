#!/usr/bin/python3
"""Providers and selection (SPEC section 4, shared/PROVIDERS.md) against the
mock, which speaks Yahoo, Binance, Alpha Vantage, Polygon, Tiingo, FMP,
Alpaca and FirstRate:

  - failover along a [rules] chain on HTTP 5xx (after the 3 tries), on Alpha
    Vantage's HTTP-200 "Note" (a rate limit), on Binance's 451 (permanent:
    one request, never retried), with the sidecar's fetch.providers_tried
    and data_source telling who was asked and who served;
  - Retry-After honoured on a keyed provider's 429;
  - Polygon pagination: continuation pages carry cursor= and the key
    re-appended (the mock's next_url has none), and the file has every
    session;
  - FirstRate bulk zips: only the wanted ticker is installed; a zip bomb is
    refused (EIO);
  - the mirror (another marketfs cache on a plain HTTP server) is asked
    first and its files are installed as they are; a copy whose sha256 does
    not match its sidecar, a copy already stale and a file the mirror lacks
    fall through to the next provider;
  - raw prices (Tiingo EOD) split-adjusted with the split history give the
    same rows as Yahoo's adjusted ones (NVDA, 4:1 in 2021); actions.csv;
  - stock 4h resampled from 1h (bars at 09:30 and 13:30 New York,
    derived_from);
  - no API key anywhere: cache, sidecars, generated files, daemon log;
  - info.json: class, provider_symbols, chains, derived_from, and the
    [symbols] class./map. overrides.
"""

import errno
import functools
import gzip
import http.server
import json
import os
import shutil
import sys
import threading
import time
import unittest
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import harness
from harness import expected, parse_iso, sha256

sys.path.insert(0, os.path.join(harness.SRC, "tests", "mock"))
import dataset as D  # noqa: E402

CUR = harness.current_year()
NY = ZoneInfo("America/New_York")
KEYED = ("alphavantage", "polygon", "tiingo", "fmp", "alpaca", "firstrate")
# Recognisable keys: "SECRET" itself is grepped for too, so no part of one leaks.
KEYS = {"alphavantage": "SECRETalphavantage123", "polygon": "SECRETpolygon123",
        "tiingo": "SECRETtiingo123", "fmp": "SECRETfmp123",
        "alpaca": "SECRETid:SECRETsecret", "firstrate": "SECRETfirstrate123"}


def intraday_year():
    """A whole past year inside Yahoo's 730-day 1h window (else this year)."""
    y = CUR - 1
    return y if harness.year_start(y) > time.time() - 725 * 86400 else CUR


def csv_rows(data):
    """gzip bytes -> (header, {timestamp: [fields]}), checking order and uniqueness."""
    lines = harness.gunzip_text(data).splitlines()
    rows = [l.split(",") for l in lines[1:]]
    stamps = [r[0] for r in rows]
    assert stamps == sorted(set(stamps)), "rows not strictly increasing"
    return lines[0], {r[0]: r[1:] for r in rows}


def text_rows(text):
    lines = text.splitlines()
    return lines[0], {l.split(",")[0]: l.split(",")[1:] for l in lines[1:]}


def tried(sc):
    return [(t["name"], t["result"]) for t in sc["fetch"]["providers_tried"]]


def cache_symbols(m):
    return sorted(n for n in os.listdir(m.cache) if not n.startswith(("_", ".")))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


class ProvidersTest(harness.MarketfsTest):

    TIMEOUT = 120

    # -- helpers
    def keyed(self, names, keys=True, **extra):
        """[provider.X] sections on the mock for the keyed providers in names."""
        out = {}
        for n in names:
            sec = {"base_url": self.mock.url, "rate_limit": "1000/1s"}
            if keys:
                sec["api_key"] = KEYS[n]
            sec.update(extra.get(n, {}))
            out[n] = sec
        return out

    def pmount(self, names=(), rules=None, extra_providers=None, **kw):
        """A mount with keyed providers (config 0600) and the given rules."""
        provs = self.keyed(names)
        provs.update(extra_providers or {})
        m = self.mount(start=False, providers=provs, rules=rules, **kw)
        os.chmod(m.conf, 0o600)
        m.start()
        return m

    def reqs(self, provider):
        return [e for e in self.mock.log() if e["provider"] == provider]

    def assertSameRows(self, got, want, what, cols=None, min_common=100):
        """Rows of the common timestamps are equal (cols: how many value columns)."""
        common = sorted(set(got) & set(want))
        self.assertGreaterEqual(len(common), min_common, f"{what}: too few common rows")
        bad = [(t, got[t][:cols], want[t][:cols]) for t in common if got[t][:cols] != want[t][:cols]]
        self.assertEqual(bad[:5], [], f"{what}: {len(bad)} rows differ")
        return common

    # ------------------------------------------------------------ 1 failover chain
    def test_failover_yahoo_500_to_tiingo(self):
        m = self.pmount(["tiingo"], rules={"stock.*": "yahoo, tiingo"})
        m.expect_error(r"(?i)yahoo.*500|500.*yahoo")
        self.mock.fault("500", provider="yahoo", count=-1)
        rel = "AAPL/1d/2023.csv.gz"
        data = m.read(rel)
        ys = self.reqs("yahoo")
        self.assertEqual([r["status"] for r in ys], [500, 500, 500],
                         "3 tries at Yahoo before the next provider")
        self.assertTrue(self.reqs("tiingo"), "Tiingo was not asked")
        sc = m.sidecar(rel)
        self.assertEqual(tried(sc), [("yahoo", "server_error"), ("tiingo", "ok")])
        self.assertEqual(sc["data_source"], "tiingo")
        # Yahoo drops its null days; Tiingo has them. Every oracle row is there.
        hdr, got = csv_rows(data)
        whdr, want = text_rows(expected.expected_csv("yahoo", "AAPL", "1d", 2023))
        self.assertEqual(hdr, whdr)
        common = self.assertSameRows(got, want, "tiingo vs the oracle")
        self.assertEqual(len(common), len(want), "an oracle row is missing from Tiingo's file")
        self.assertEqual(sorted(got), [d.isoformat() for d in D.sessions("AAPL", 2023)],
                         "Tiingo's file does not have every 2023 session")

    # ------------------------------------------------------------ 2 Alpha Vantage Note
    def test_alphavantage_note_is_a_rate_limit(self):
        y = intraday_year()
        m = self.pmount(["alphavantage", "polygon"],
                        rules={"stock.1h": "alphavantage, polygon", "stock.*": "yahoo"})
        self.mock.fault("note", provider="alphavantage", count=-1)
        rel = f"AAPL/1h/{y}.csv.gz"
        data = m.read(rel)
        av = self.reqs("alphavantage")
        self.assertGreaterEqual(len(av), 1)
        self.assertLessEqual(len(av), 3, "a Note must not start a retry storm")
        self.assertTrue(all(r["fault"] == "note" and r["status"] == 200 for r in av), av)
        sc = m.sidecar(rel)
        self.assertEqual(tried(sc), [("alphavantage", "rate_limited"), ("polygon", "ok")])
        self.assertEqual(sc["data_source"], "polygon")
        self.assertFalse(self.reqs("yahoo"), "Yahoo is not in the 1h chain")
        _, got = csv_rows(data)
        _, want = text_rows(expected.expected_csv("yahoo", "AAPL", "1h", y))
        self.assertSameRows(got, want, "polygon 1h vs the oracle", min_common=1000)
        self.assertTrue([l for l in m.log_text().splitlines()
                         if "alphavantage" in l and "AAPL" in l], "no log line for the Note")
        # the Note paused Alpha Vantage (no Retry-After): the next fetch skips it
        n = len(self.reqs("alphavantage"))
        rel2 = f"MSFT/1h/{y}.csv.gz"
        m.read(rel2)
        self.assertEqual(len(self.reqs("alphavantage")), n, "a paused provider was asked")
        self.assertEqual(tried(m.sidecar(rel2)), [("alphavantage", "rate_limited"), ("polygon", "ok")])
        with open(m.path("_metadata/providers.json")) as fh:
            av = next(p for p in json.load(fh)["providers"] if p["name"] == "alphavantage")
        self.assertGreater(av["rate_limit"]["retry_after_s"], 30)

    def test_min_quality_asks_the_next_provider_and_keeps_the_best(self):
        """Yahoo's daily answer has null days (score about 0.98): below
        min_quality = 0.99 Tiingo is asked and serves; when Tiingo fails,
        Yahoo's answer, set aside, is installed after all."""
        m = self.pmount(["tiingo"], rules={"stock.daily": "yahoo, tiingo"},
                        config={"min_quality": "0.99"})
        rel = "AAPL/1d/2023.csv.gz"
        m.read(rel)
        sc = m.sidecar(rel)
        self.assertEqual(tried(sc), [("yahoo", "low_quality"), ("tiingo", "ok")])
        self.assertEqual(sc["data_source"], "tiingo")
        self.assertGreaterEqual(sc["data_quality"]["score"], 0.99)
        self.mock.fault("500", provider="tiingo", count=-1)
        m.expect_error(r".")
        rel = "MSFT/1d/2023.csv.gz"
        m.read(rel)
        sc = m.sidecar(rel)
        self.assertEqual(tried(sc), [("yahoo", "low_quality"), ("tiingo", "server_error")])
        self.assertEqual(sc["data_source"], "yahoo")
        self.assertLess(sc["data_quality"]["score"], 0.99)

    # ------------------------------------------------------------ 3 Binance 451
    def test_binance_451_is_permanent(self):
        m = self.pmount(["polygon"], rules={"crypto.*": "binance, polygon", "stock.*": "yahoo"})
        self.mock.fault("451", provider="binance", count=-1)
        rel = "BTCUSDT/1d/2024.csv.gz"
        data = m.read(rel)
        self.assertEqual(len(self.reqs("binance")), 1, "451 is permanent: one request only")
        sc = m.sidecar(rel)
        self.assertEqual(tried(sc), [("binance", "refused"), ("polygon", "ok")])
        self.assertEqual(sc["data_source"], "polygon")
        pg = self.reqs("polygon")
        self.assertTrue(pg and all("/X:BTCUSD/" in unquote(r["path"]) for r in pg),
                        [r["path"] for r in pg])
        self.assertCsvEqual(data, expected.expected_csv("binance", "BTCUSDT", "1d", 2024),
                            "BTCUSDT from polygon X:BTCUSD")

        # nobody else: EIO, still one request
        self.mock.reset()
        self.mock.fault("451", provider="binance", count=-1)
        b = self.mount(name="alone")  # crypto.* = binance only
        b.expect_error(r"(?i)restricted|451|binance")
        self.assertErrno(errno.EIO, b.read, "ETHUSDT/1d/2024.csv.gz", what="451, no other provider")
        self.assertEqual(len(self.reqs("binance")), 1, "451 is permanent: one request only")

    # ------------------------------------------------------------ 4 Retry-After
    def test_retry_after_honoured_on_polygon(self):
        m = self.pmount(["polygon"], rules={"stock.1d": "polygon", "stock.*": "yahoo"})
        self.mock.fault("429", provider="polygon", count=1, retry_after=2)
        rel = "AAPL/1d/2024.csv.gz"
        data = m.read(rel)
        pg = self.reqs("polygon")
        self.assertEqual(pg[0]["status"], 429)
        self.assertEqual(pg[1]["status"], 200)
        t429 = pg[0]["ts"]
        within = [r for r in pg[1:] if r["ts"] - t429 < 1.5]
        self.assertEqual(within, [], "a request came within Retry-After: 2")
        gap = pg[1]["ts"] - t429
        self.assertGreaterEqual(gap, 1.5, f"Retry-After: 2 but the retry came after {gap:.2f} s")
        self.assertLess(gap, 15, f"the retry came only after {gap:.2f} s")
        sc = m.sidecar(rel)
        self.assertEqual(tried(sc), [("polygon", "ok")])
        _, got = csv_rows(data)
        _, want = text_rows(expected.expected_csv("yahoo", "AAPL", "1d", 2024))
        # Polygon has no adjusted close: the adj_close column is empty
        self.assertSameRows(got, want, "polygon 1d vs the oracle (OHLCV)", cols=5)
        self.assertTrue(all(v[5] == "" for v in got.values()))

    # ------------------------------------------------------------ 5 Polygon pages
    def test_polygon_pagination_reappends_the_key(self):
        y = intraday_year()
        m = self.pmount(["polygon"], rules={"stock.1h": "polygon", "stock.*": "yahoo"})
        rel = f"AAPL/1h/{y}.csv.gz"
        data = m.read(rel)
        pg = [r for r in self.reqs("polygon") if r["path"].startswith("/v2/aggs/")]
        self.assertGreaterEqual(len(pg), 3, "a year of 1h bars is several 500-result pages")
        self.assertTrue(all(r["status"] == 200 for r in pg), [(r["path"], r["status"]) for r in pg])
        self.assertNotIn("cursor", pg[0]["query"])
        for r in pg[1:]:
            self.assertIn("cursor", r["query"], f"continuation without cursor: {r['raw_query']}")
        for r in pg:
            key = r["query"].get("apiKey") or r["headers"].get("authorization", "").replace("Bearer ", "")
            self.assertEqual(key, KEYS["polygon"], f"request without the key: {r['path']}")
        conts = [r for r in pg if "cursor" in r["query"]]
        self.assertTrue(conts)
        self.assertTrue(all(r["query"].get("apiKey") == KEYS["polygon"] for r in conts),
                        "the key was not re-appended as apiKey to the next_url")
        self.assertEqual(m.sidecar(rel)["data_source"], "polygon")
        _, got = csv_rows(data)
        days = sorted({t[:10] for t in got})
        # UTC dates of New York sessions are the same dates (09:30-16:00 NY)
        self.assertEqual(days, [d.isoformat() for d in D.sessions("AAPL", y)],
                         "the file does not have every session")
        _, want = text_rows(expected.expected_csv("yahoo", "AAPL", "1h", y))
        self.assertSameRows(got, want, "polygon 1h vs the oracle", min_common=1000)
        self.assertEqual(len(got), len(want), "Polygon's 1h file differs in length from Yahoo's")

    # ------------------------------------------------------------ 6 FirstRate
    def firstrate_mount(self, **kw):
        return self.pmount(["firstrate"], rules={"stock.1d": "firstrate", "stock.*": "yahoo"}, **kw)

    def test_firstrate_installs_only_the_wanted_ticker(self):
        m = self.firstrate_mount()
        rel = "AAPL/1d/2024.csv.gz"
        data = m.read(rel)
        fr = self.reqs("firstrate")
        files = [r for r in fr if r["path"] == "/api/data_file"]
        self.assertEqual(len(files), 1, [(r["path"], r["raw_query"]) for r in fr])
        self.assertEqual(files[0]["query"].get("ticker_range"), "A")
        self.assertTrue(any(r["path"].startswith("/fr/") for r in fr), "the redirect was not followed")
        self.assertEqual(cache_symbols(m), ["AAPL"], "other tickers of the archive were installed")
        self.assertEqual(m.sidecar(rel)["data_source"], "firstrate")
        _, got = csv_rows(data)
        _, want = text_rows(expected.expected_csv("yahoo", "AAPL", "1d", 2024))
        self.assertSameRows(got, want, "firstrate vs the oracle (OHLCV)", cols=5)
        self.assertEqual(sorted(got), [d.isoformat() for d in D.sessions("AAPL", 2024)])
        # other years came from the same archive: no second download
        m.read("AAPL/1d/2020.csv.gz")
        self.assertEqual(len([r for r in self.reqs("firstrate") if r["path"] == "/api/data_file"]), 1)

    # ------------------------------------------------------------ 7 zip bomb
    def test_firstrate_zip_bomb_refused(self):
        m = self.firstrate_mount(config={"fetch_timeout": "60"})
        m.expect_error(r"(?i)zbomb|firstrate|refused")
        t0 = time.monotonic()
        self.assertErrno(errno.EIO, m.read, "ZBOMB/1d/2024.csv.gz", what="zip bomb")
        took = time.monotonic() - t0
        lines = [l for l in m.log_text().splitlines() if "refused" in l and "firstrate" in l]
        self.assertTrue(lines, "the log does not say the archive was refused")
        self.assertTrue(any("bomb" in l or "limit" in l for l in lines), lines)
        self.assertEqual(cache_symbols(m), [], "the bomb left something in the cache")
        self.assertLess(took, 60, "the bomb was read to the end")

    # ------------------------------------------------------------ 8 mirror
    def serve(self, root):
        srv = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(QuietHandler, directory=root))
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()

        def stop():
            srv.shutdown()
            srv.server_close()
        self.addCleanup(stop)
        return f"http://127.0.0.1:{srv.server_address[1]}"

    def test_mirror_first_sha_mismatch_stale_and_missing_fall_through(self):
        a = self.mount(name="origin")
        for sym in ("AAPL", "MSFT"):
            a.read(f"{sym}/1d/2023.csv.gz")
            a.read(f"{sym}/1d/{CUR}.csv.gz")
        self.assertEqual(a.umount(), 0)
        root = os.path.join(self.workdir, "served")
        shutil.copytree(a.cache, root, ignore=shutil.ignore_patterns("_metadata"))

        def served(rel):
            with open(os.path.join(root, rel), "rb") as fh:
                return fh.read()
        # tamper: MSFT 2023's data replaced by (valid gzip of) other bytes
        with open(os.path.join(root, "MSFT/1d/2023.csv.gz"), "wb") as fh:
            fh.write(gzip.compress(b"timestamp,open,high,low,close,volume,adj_close\n", mtime=0))
        # a copy already stale: its sidecar's stale_after is in the past
        sp = os.path.join(root, f"AAPL/1d/{CUR}.metadata.json")
        with open(sp) as fh:
            side = json.load(fh)
        side["stale_after"] = "2001-01-01T00:00:00Z"
        with open(sp, "w") as fh:
            json.dump(side, fh)
        url = self.serve(root)

        self.mock.reset()
        b = self.mount(name="user", providers={"mirror": {"base_url": url}})
        # (1) preferred: installed as is, no provider request
        rel = "AAPL/1d/2023.csv.gz"
        self.assertEqual(b.read(rel), served(rel), "the mirror's file was not installed as is")
        self.assertEqual(self.mock.log(), [], "a provider was asked for a file the mirror has")
        sc = b.sidecar(rel)
        self.assertEqual(sc["data_source"], "yahoo", "data_source must be the original's")
        self.assertEqual(sc["file_info"]["sha256"], sha256(served(rel)))
        with open(b.cache_path(rel), "rb") as fh:
            self.assertEqual(fh.read(), served(rel))

        # (2) sha256 mismatch: refused, Yahoo serves
        rel = "MSFT/1d/2023.csv.gz"
        data = b.read(rel)
        self.assertCsvEqual(data, expected.expected_csv("yahoo", "MSFT", "1d", 2023),
                            "after the mirror's copy was refused")
        self.assertTrue(self.mock.requests(symbol="MSFT"), "Yahoo was not asked")
        self.assertTrue([l for l in b.log_text().splitlines() if "does not match its sidecar" in l],
                        "the log does not say the mirror's copy was refused")
        sc = b.sidecar(rel)
        self.assertEqual(sc["data_source"], "yahoo")
        self.assertEqual(tried(sc), [("mirror", "corrupt"), ("yahoo", "ok")])

        # (3) missing on the mirror (404): Yahoo serves
        self.mock.reset()
        rel = "MSFT/1w/2023.csv.gz"
        data = b.read(rel)
        self.assertCsvEqual(data, expected.expected_csv("yahoo", "MSFT", "1w", 2023), "1w")
        self.assertTrue(self.mock.requests(symbol="MSFT"))
        self.assertEqual(tried(b.sidecar(rel)), [("mirror", "no_data"), ("yahoo", "ok")])

        # (4) the mirror's copy is stale: skipped, Yahoo serves
        self.mock.reset()
        rel = f"AAPL/1d/{CUR}.csv.gz"
        b.read(rel)
        self.assertTrue(self.mock.requests(symbol="AAPL"), "a stale mirror copy was installed")
        sc = b.sidecar(rel)
        self.assertEqual(tried(sc), [("mirror", "no_data"), ("yahoo", "ok")])
        self.assertEqual(sc["data_source"], "yahoo")
        self.assertNotEqual(sc["stale_after"], "2001-01-01T00:00:00Z")

    # ------------------------------------------------------------ 9 raw vs adjusted
    def test_unknown_symbol_remembered_with_a_mirror(self):
        """A file missing on the mirror says nothing of the symbol: an unknown
        symbol is still remembered as unknown when every provider says so
        (a bug once made every read of it ask the providers again)."""
        root = os.path.join(self.workdir, "empty-mirror")
        os.makedirs(root)
        m = self.mount(providers={"mirror": {"base_url": self.serve(root)}})
        m.expect_error(r".")
        self.assertErrno(errno.ENOENT, m.read, "ZZZZ/1d/2024.csv.gz", what="ZZZZ")
        n = len(self.reqs("yahoo"))
        self.assertEqual(n, 1, "yahoo was not asked exactly once")
        self.assertErrno(errno.ENOENT, m.read, "ZZZZ/1d/2023.csv.gz", what="ZZZZ again")
        self.assertEqual(len(self.reqs("yahoo")), n, "the unknown symbol was not remembered")

    def test_tiingo_raw_prices_split_adjusted_like_yahoo(self):
        t = self.pmount(["tiingo"], rules={"stock.1d": "tiingo", "stock.*": "yahoo"}, name="tiingo")
        y = self.mount(name="yahoo")
        rel = "NVDA/1d/2021.csv.gz"
        _, got_t = csv_rows(t.read(rel))
        _, got_y = csv_rows(y.read(rel))
        self.assertEqual(t.sidecar(rel)["data_source"], "tiingo")
        self.assertEqual(y.sidecar(rel)["data_source"], "yahoo")
        self.assertEqual(t.sidecar(rel).get("adjustment", "splits"), "splits")
        common = self.assertSameRows(got_t, got_y, "NVDA 2021 tiingo vs yahoo (OHLCV)", cols=5)
        self.assertEqual(len(common), len(got_y), "a Yahoo row is missing from Tiingo's file")
        # around the 4:1 split of 2021-07-20: both sides of it are adjusted
        for d in ("2021-07-19", "2021-07-20"):
            self.assertIn(d, common)
            b = D.yahoo_daily_bar("NVDA", datetime.strptime(d, "%Y-%m-%d").date())
            self.assertEqual(float(got_t[d][3]), b.close, d)
        self.assertTrue(all(r["provider"] in ("tiingo", "yahoo") for r in self.mock.log()))

    # ------------------------------------------------------------ 10 4h from 1h
    def test_stock_4h_resampled_from_1h(self):
        y = intraday_year()
        m = self.mount()
        rel = f"AAPL/4h/{y}.csv.gz"
        t0 = time.time()
        data = m.read(rel)
        t1 = time.time()
        sc = m.sidecar(rel)
        self.assertEqual(sc.get("derived_from"), "1h")
        self.assertEqual(sc["data_source"], "yahoo")
        self.assertTrue(all(r["query"].get("interval") in ("1h", "60m")
                            for r in self.mock.requests(symbol="AAPL")))
        _, got = csv_rows(data)
        self.assertTrue(got)
        for ts in got:
            ny = datetime.strptime(ts, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).astimezone(NY)
            self.assertIn((ny.hour, ny.minute), ((9, 30), (13, 30)), f"4h bar at {ts} ({ny})")
        # the values: aggregates of the 1h bars of the oracle
        now = max(harness.fetch_times(sc, t0, t1))
        h1 = expected.expected_rows("yahoo", "AAPL", "1h", y, now=now)
        agg = {}
        for r in h1:
            ts = r[0]
            ny = datetime.strptime(ts, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).astimezone(NY)
            anchor = ny.replace(hour=9 if ny.hour < 13 or (ny.hour == 13 and ny.minute < 30) else 13,
                                minute=30)
            agg.setdefault(anchor, []).append(r)
        want = {}
        for anchor, rs in agg.items():
            key = anchor.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            want[key] = [expected.fmt_number(rs[0][1]), expected.fmt_number(max(x[2] for x in rs)),
                         expected.fmt_number(min(x[3] for x in rs)), expected.fmt_number(rs[-1][4]),
                         expected.fmt_number(sum(x[5] for x in rs), volume=True)]
        # the first day of the 730-day window may be partial: compare whole days
        cut = (datetime.fromtimestamp(now - 730 * 86400, timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%d")
        want = {k: v for k, v in want.items() if k >= cut}
        common = self.assertSameRows(got, want, "4h vs the oracle's 1h aggregated", min_common=300)
        self.assertEqual(len(common), len(want))

    def test_weekly_built_from_tiingo_days_when_yahoo_fails(self):
        m = self.pmount(["tiingo"], rules={"stock.*": "yahoo, tiingo"})
        m.expect_error(r"(?i)yahoo.*500|500.*yahoo")
        self.mock.fault("500", provider="yahoo", count=-1)
        rel = "AAPL/1w/2023.csv.gz"
        data = m.read(rel)
        sc = m.sidecar(rel)
        self.assertEqual(sc.get("derived_from"), "1d", sc)
        self.assertEqual(sc["data_source"], "tiingo")
        self.assertEqual(tried(sc)[-1], ("tiingo", "ok"), tried(sc))
        self.assertEqual(tried(sc)[0], ("yahoo", "server_error"), tried(sc))
        # Yahoo's weeks aggregate every session (null days too), as Tiingo's days do
        self.assertCsvEqual(data, expected.expected_csv("yahoo", "AAPL", "1w", 2023),
                            "1w resampled from Tiingo's 1d")

    # ------------------------------------------------------------ 11 actions.csv
    def test_new_split_makes_older_files_stale(self):
        """A split seen for the first time makes every cached file fetched
        before its ex-date stale, finished years and other timeframes
        included, and such a file is then fetched whole again, not just
        extended (its old bars are unadjusted). Files fetched before the
        split are simulated: their sidecars say 2021-01-01, and the weekly
        file holds unadjusted prices (4x)."""
        m = self.mount()
        m.read("NVDA/1d/2020.csv.gz")  # Yahoo's whole daily history: every year, both splits
        weekly = m.read("NVDA/1w/2020.csv.gz")
        before = m.cached_sidecar("NVDA/1d/2016.csv.gz")["last_updated"]
        old = "2021-01-01T00:00:00Z"
        raw = []
        for line in harness.gunzip_text(weekly).splitlines():
            f = line.split(",")
            if f[0] != "timestamp":
                f[1:5] = [f"{float(v) * 4:.2f}" for v in f[1:5]]
            raw.append(",".join(f))
        raw_gz = gzip.compress(("\n".join(raw) + "\n").encode(), mtime=0)
        for rel, data in (("NVDA/1w/2020", raw_gz), ("NVDA/1d/2016", None)):
            sp = os.path.join(m.cache, rel + ".metadata.json")
            with open(sp) as fh:
                sc = json.load(fh)
            sc["last_updated"] = old
            if data is not None:
                with open(os.path.join(m.cache, rel + ".csv.gz"), "wb") as fh:
                    fh.write(data)
                sc["file_info"]["sha256"] = sha256(data)
                sc["file_info"]["size_bytes"] = len(data)
            with open(sp, "w") as fh:
                json.dump(sc, fh)
        self.assertNotEqual(m.read("NVDA/1w/2020.csv.gz"), weekly)  # the "old" file is served
        # the splits are not known yet: no actions.csv; one daily year to fetch again
        os.unlink(os.path.join(m.cache, "NVDA", "actions.csv"))
        for ext in (".csv.gz", ".metadata.json"):
            os.unlink(os.path.join(m.cache, "NVDA", "1d", "2019" + ext))
        self.mock.reset()
        m.read("NVDA/1d/2019.csv.gz")
        self.assertEqual(len(self.reqs("yahoo")), 1)
        m.wait_log(r"NVDA: a new split \(ex-date day \d+\) makes \d+ cached files stale", 5)
        self.assertGreaterEqual(parse_iso(m.cached_sidecar("NVDA/1d/2016.csv.gz")["last_updated"]),
                                parse_iso(before), "a finished year before the split was not "
                                "refreshed (its sidecar still says 2021)")
        wk = m.cached_sidecar("NVDA/1w/2020.csv.gz")
        self.assertIsNotNone(wk["stale_after"], "the weekly file was not made stale")
        self.assertLessEqual(parse_iso(wk["stale_after"]), time.time())
        # files fetched after the split were adjusted already: left alone
        self.assertIsNone(m.cached_sidecar("NVDA/1d/2017.csv.gz")["stale_after"])
        self.mock.reset()
        got = m.read("NVDA/1w/2020.csv.gz")
        reqs = self.reqs("yahoo")
        self.assertEqual([e["query"].get("interval") for e in reqs], ["1wk"])
        self.assertLessEqual(int(reqs[0]["query"]["period1"]), harness.year_start(2020),
                             "the weekly year was extended, not fetched whole")
        self.assertEqual(got, weekly, "the unadjusted weekly bars were kept")
        with open(m.path("NVDA/actions.csv")) as fh:
            self.assertIn("2021-07-20,split,4\n", fh.read())

    def test_actions_csv_nvda(self):
        m = self.mount()
        m.read("NVDA/1d/2024.csv.gz")
        text = m.read("NVDA/actions.csv").decode()
        lines = text.splitlines()
        self.assertEqual(lines[0], "date,type,value")
        rows = [l.split(",") for l in lines[1:]]
        splits = [(d, v) for d, t, v in rows if t == "split"]
        divs = [(d, v) for d, t, v in rows if t == "dividend"]
        self.assertEqual([(d, float(v)) for d, v in splits], [("2021-07-20", 4.0), ("2024-06-10", 10.0)])
        want_divs = [ex.isoformat() for ex, _ in D.ADJ_STEPS["NVDA"]]
        self.assertEqual([d for d, _ in divs], want_divs)
        self.assertTrue(all(float(v) == 0.25 for _, v in divs), divs)
        self.assertEqual([r[0] for r in rows], sorted(r[0] for r in rows), "not in date order")
        self.assertTrue(text.endswith("\n"))

    # ------------------------------------------------------------ 12 secrets
    def test_secrets_never_appear(self):
        y = intraday_year()
        rules = {"stock.1d": "fmp, tiingo, firstrate", "stock.1h": "alpaca, polygon",
                 "stock.5m": "alphavantage", "stock.*": "yahoo", "crypto.*": "binance, polygon"}
        m = self.pmount(KEYED, rules=rules)
        m.expect_error(r".")  # provoked failures; the grep is the point here
        # AAPL 1d: FMP fails 3 times -> Tiingo
        self.mock.fault("500", provider="fmp", count=3)
        m.read("AAPL/1d/2024.csv.gz")
        # MSFT 1d: FMP's limit, Tiingo's 429s -> FirstRate
        self.mock.fault("limit", provider="fmp", count=-1, path_contains="MSFT")
        self.mock.fault("429", provider="tiingo", count=-1, path_contains="msft")
        self.mock.fault("429", provider="tiingo", count=-1, path_contains="MSFT")
        m.read("MSFT/1d/2024.csv.gz")
        # NVDA 1d: FMP
        self.mock.reset()
        m.read("NVDA/1d/2024.csv.gz")
        # AAPL 1h: Alpaca; MSFT 1h: Alpaca 500s -> Polygon
        m.read(f"AAPL/1h/{y}.csv.gz")
        self.mock.fault("500", provider="alpaca", count=-1)
        m.read(f"MSFT/1h/{y}.csv.gz")
        # 5m: Alpha Vantage; then its Information and an unknown symbol
        m.read(f"AAPL/5m/{CUR}.csv.gz")
        self.mock.fault("information", provider="alphavantage", count=-1)
        try:  # EIO, or 5m built from another provider's 1m bars
            m.read(f"MSFT/5m/{CUR}.csv.gz")
        except OSError:
            pass
        self.assertTrue([e for e in self.reqs("alphavantage") if e["fault"] == "information"])
        self.mock.reset()
        for rel in ("ZZZQ/1d/2024.csv.gz", "ZZZQ/5m/2026.csv.gz"):
            try:
                m.read(rel)
            except OSError:
                pass
        # crypto: Binance 451 -> Polygon
        self.mock.fault("451", provider="binance", count=-1)
        m.read("BTCUSDT/1d/2024.csv.gz")
        srcs = {}
        for sym, tf, yr in (("AAPL", "1d", 2024), ("MSFT", "1d", 2024), ("NVDA", "1d", 2024),
                            ("AAPL", "1h", y), ("MSFT", "1h", y), ("AAPL", "5m", CUR),
                            ("BTCUSDT", "1d", 2024)):
            srcs[f"{sym}/{tf}"] = m.sidecar(f"{sym}/{tf}/{yr}.csv.gz")["data_source"]
        self.assertEqual(srcs, {"AAPL/1d": "tiingo", "MSFT/1d": "firstrate", "NVDA/1d": "fmp",
                                "AAPL/1h": "alpaca", "MSFT/1h": "polygon", "AAPL/5m": "alphavantage",
                                "BTCUSDT/1d": "polygon"})
        used = {e["provider"] for e in self.mock.log()}
        # the keys were really sent (so a leak would have something to leak)
        self.assertTrue(KEYS["polygon"] in json.dumps(self.mock.log()), used)

        secrets = list(KEYS.values()) + ["SECRETid", "SECRETsecret", "SECRET"]
        found = []

        def scan(label, data):
            for s in secrets:
                if s.encode() in data:
                    found.append(f"{s!r} in {label}")
        for root, _, files in os.walk(m.cache):
            for n in files:
                p = os.path.join(root, n)
                with open(p, "rb") as fh:
                    scan(p, fh.read())
        rels = [f"_metadata/{n}" for n in ("status.json", "providers.json", "symbols.json",
                                            "quality_scores.json", "metrics")]
        for sym in ("AAPL", "MSFT", "NVDA", "BTCUSDT", "ZZZQ"):
            rels.append(f"{sym}/info.json")
        for sym in ("AAPL", "MSFT", "NVDA"):
            rels.append(f"{sym}/actions.csv")
        for rel in rels:
            try:
                scan(rel, m.read(rel))
            except OSError as e:
                if rel.startswith("_metadata/") or "ZZZQ" not in rel:
                    self.fail(f"{rel}: {e}")
        # the sidecars of what is cached, through the mount (listing the mount
        # would show years never fetched, and reading those would fetch them)
        for root, _, files in os.walk(m.cache):
            for n in files:
                if n.endswith(".metadata.json"):
                    rel = os.path.relpath(os.path.join(root, n), m.cache)
                    scan(f"mount:{rel}", m.read(rel))
        self.assertEqual(m.umount(), 0)
        scan("the daemon log", m.log_text().encode())
        self.assertEqual(found, [], f"secrets leaked (logs in {m.dir})")

    def test_yahoo_maps_crypto_pairs(self):
        """SPEC section 4: BTCUSDT is BTC-USD at Yahoo (the crypto chains end with Yahoo).
        A bug once sent "BTCUSDT" to Yahoo."""
        m = self.mount(rules={"crypto.*": "yahoo", "stock.*": "yahoo"})
        m.expect_error(r".")
        self.assertEqual(self.info(m, "BTCUSDT")["provider_symbols"].get("yahoo"), "BTC-USD")
        try:
            m.read("BTCUSDT/1d/2024.csv.gz")  # the mock's Yahoo has no crypto: ENOENT
        except OSError:
            pass
        paths = {unquote(r["path"]) for r in self.reqs("yahoo")}
        self.assertEqual(paths, {"/v8/finance/chart/BTC-USD"})

    # ------------------------------------------------------------ 13 info.json
    def info(self, m, sym):
        with open(m.path(f"{sym}/info.json")) as fh:
            return json.load(fh)

    def test_providers_json_capability_table(self):
        m = self.pmount(["polygon", "tiingo", "alpaca"])
        with open(m.path("_metadata/providers.json")) as fh:
            provs = {p["name"]: p for p in json.load(fh)["providers"]}
        self.assertEqual(provs["yahoo"]["serves"]["stock"]["1d"], "all")
        self.assertNotIn("4h", provs["yahoo"]["serves"]["stock"])
        self.assertEqual(provs["alpaca"]["serves"]["stock"]["1d"], "2016-01-01T00:00:00Z")
        reach = parse_iso(provs["polygon"]["serves"]["stock"]["1m"])
        self.assertAlmostEqual(reach, time.time() - 730 * 86400, delta=3600)
        self.assertNotIn("1w", provs["tiingo"]["serves"]["stock"])
        self.assertEqual(set(provs["binance"]["serves"]), {"crypto"})
        self.assertEqual(provs["mirror"]["usable"], False)

    def test_info_json_mappings_chains_and_overrides(self):
        symbols = {"class.crypto": "FOO", "map.yahoo": "FOO>FOO-X BAR>BAR.L"}
        m = self.pmount(["polygon", "tiingo", "alphavantage", "alpaca", "fmp"], rules={},
                        symbols=symbols)
        n = len(self.mock.log())
        btc = self.info(m, "BTCUSDT")
        self.assertEqual(btc["class"], "crypto")
        self.assertEqual(btc["provider_symbols"].get("polygon"), "X:BTCUSD", btc)
        self.assertEqual(btc["providers"]["1d"][0], "binance", btc["providers"])
        brk = self.info(m, "BRK.B")
        self.assertEqual(brk["class"], "stock")
        self.assertEqual(brk["provider_symbols"].get("yahoo"), "BRK-B", brk)
        aapl = self.info(m, "AAPL")
        self.assertEqual(aapl["class"], "stock")
        self.assertEqual(aapl["derived_from"].get("4h"), "1h", aapl)
        ch = aapl["providers"]
        # built-in defaults (the seed): daily Yahoo, Tiingo, Polygon; intraday Polygon first
        self.assertEqual(ch["1d"][:3], ["yahoo", "tiingo", "polygon"], ch)
        self.assertEqual(ch["1h"][0], "polygon", ch)
        for p in ("alpaca", "alphavantage"):
            self.assertIn(p, ch["1h"], ch)
        self.assertNotIn("firstrate", sum(ch.values(), []), "firstrate has no key: skipped")
        # overrides
        foo = self.info(m, "FOO")
        self.assertEqual(foo["class"], "crypto", foo)
        self.assertEqual(foo["provider_symbols"].get("yahoo"), "FOO-X", foo)
        self.assertEqual(foo["providers"]["1d"][0], "binance", foo["providers"])
        bar = self.info(m, "BAR")
        self.assertEqual(bar["class"], "stock")
        self.assertEqual(bar["provider_symbols"].get("yahoo"), "BAR.L", bar)
        self.assertEqual(len(self.mock.log()), n, "info.json sent a provider request")

        # custom rules show up as the chains
        b = self.pmount(["polygon", "tiingo"], name="rules",
                        rules={"stock.1d": "tiingo, yahoo", "stock.intraday": "polygon",
                               "stock.*": "yahoo", "crypto.*": "binance"})
        ch = self.info(b, "AAPL")["providers"]
        self.assertEqual(ch["1d"], ["tiingo", "yahoo"], ch)
        self.assertEqual(ch["1h"], ["polygon"], ch)
        # 1w: Yahoo natively, then built from Tiingo's days
        self.assertEqual(ch["1w"][0], "yahoo", ch)
        self.assertLessEqual(set(ch["1w"]), {"yahoo", "tiingo"}, ch)


if __name__ == "__main__":
    harness.main()
