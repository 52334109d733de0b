#!/usr/bin/python3
"""Concurrent readers (SPEC §3 "Absent"): readers of the same absent file
share one fetch, i.e. one set of provider requests, and all get the same
complete, correct bytes."""

import os
import subprocess
import threading
from collections import Counter

import harness
from harness import expected, sha256

N = 16


def read_in_threads(paths, barrier_timeout=30):
    """Open and read every path in its own thread, all released at once.
    Returns [(path, bytes or exception)] in the order of paths."""
    barrier = threading.Barrier(len(paths))
    results = [None] * len(paths)

    def reader(i, p):
        try:
            barrier.wait(barrier_timeout)
            with open(p, "rb") as fh:
                results[i] = fh.read()
        except Exception as e:  # reported by the test
            results[i] = e
    threads = [threading.Thread(target=reader, args=(i, p), daemon=True) for i, p in enumerate(paths)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return list(zip(paths, results))


class ConcurrencyTest(harness.MarketfsTest):

    def assertAllRead(self, results):
        errors = [(p, r) for p, r in results if not isinstance(r, bytes)]
        self.assertFalse(errors, f"readers failed: {errors[:3]}")

    def test_16_threads_share_one_yahoo_fetch(self):
        m = self.mount()
        self.mock.fault("slow", provider="yahoo", delay_ms=1500, count=1)
        results = read_in_threads([m.path("AAPL/1d/2024.csv.gz")] * N)
        self.assertAllRead(results)
        datas = {r for _, r in results}
        self.assertEqual(len(datas), 1, f"readers got {len(datas)} different contents")
        self.assertCsvEqual(datas.pop(), expected.expected_csv("yahoo", "AAPL", "1d", 2024),
                            "AAPL/1d/2024.csv.gz")
        reqs = self.mock.requests(symbol="AAPL")
        self.assertEqual(len(reqs), 1, f"{N} readers made {len(reqs)} requests: "
                         f"{[r['query'] for r in reqs]}")
        self.assertEqual(reqs[0]["fault"], "slow", "the readers really overlapped the slow answer")

    def test_16_cat_processes_share_one_binance_fetch(self):
        # BTCUSDT 1h of a past year is 9 pages of klines: one fetch must ask
        # for each page once, however many readers wait for it.
        m = self.mount()
        self.mock.fault("slow", provider="binance", delay_ms=1500, count=1)
        path = m.path("BTCUSDT/1h/2023.csv.gz")
        procs = [self.popen(["cat", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(N)]
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, f"cat failed: {err!r}")
            outs.append(out)
        self.assertEqual(len(set(outs)), 1, "the cat processes got different bytes")
        self.assertCsvEqual(outs[0], expected.expected_csv("binance", "BTCUSDT", "1h", 2023),
                            "BTCUSDT/1h/2023.csv.gz")
        klines = [r for r in self.mock.requests(symbol="BTCUSDT", path_prefix="/api/v3/klines")
                  if r["query"].get("interval") == "1h"]
        pages = Counter((r["query"].get("startTime"), r["query"].get("endTime"), r["query"].get("limit"))
                        for r in klines)
        dup = {k: v for k, v in pages.items() if v > 1}
        self.assertFalse(dup, f"the same klines page was requested more than once: {dup}")
        # 8760 hourly bars at <= 1000 a page: at least 9 pages, and not N times that
        data_pages = [k for k in pages if k[2] != "1"]
        self.assertGreaterEqual(len(data_pages), 9)
        self.assertLessEqual(len(data_pages), 12, f"too many pages for one fetch: {len(data_pages)}")

    def test_data_and_sidecar_readers_share_one_fetch(self):
        m = self.mount()
        self.mock.fault("slow", provider="yahoo", delay_ms=1500, count=1)
        paths = [m.path("MSFT/1d/2023.csv.gz")] * 8 + [m.path("MSFT/1d/2023.metadata.json")] * 8
        results = read_in_threads(paths)
        self.assertAllRead(results)
        datas = {r for p, r in results if p.endswith(".csv.gz")}
        sides = {r for p, r in results if p.endswith(".json")}
        self.assertEqual((len(datas), len(sides)), (1, 1), "readers saw different versions")
        data = datas.pop()
        self.assertCsvEqual(data, expected.expected_csv("yahoo", "MSFT", "1d", 2023), "MSFT/1d/2023")
        import json
        self.assertEqual(json.loads(sides.pop())["file_info"]["sha256"], sha256(data))
        self.assertEqual(len(self.mock.requests(symbol="MSFT")), 1)

    def test_different_files_in_parallel(self):
        # More distinct fetches than max_parallel_fetches (4), all slow: every
        # reader still gets its own correct file, each fetched once.
        m = self.mount()
        self.mock.fault("slow", delay_ms=800, count=8)
        files = [("yahoo", "AAPL", "1d", 2022), ("yahoo", "MSFT", "1d", 2022),
                 ("binance", "BTCUSDT", "1d", 2022), ("binance", "ETHUSDT", "1d", 2022),
                 ("binance", "BTCUSDT", "4h", 2022), ("binance", "ETHUSDT", "1w", 2022),
                 ("binance", "BTCUSDT", "1M", 2021), ("binance", "ETHUSDT", "4h", 2019)]
        paths = []
        for f in files:
            paths += [m.path(f"{f[1]}/{f[2]}/{f[3]}.csv.gz")] * 3
        results = read_in_threads(paths)
        self.assertAllRead(results)
        for (p, data) in results:
            prov, sym, tf, year = next(f for f in files if p.endswith(f"{f[1]}/{f[2]}/{f[3]}.csv.gz"))
            self.assertCsvEqual(data, expected.expected_csv(prov, sym, tf, year), f"{sym}/{tf}/{year}")
        for sym in ("AAPL", "MSFT"):
            self.assertEqual(len(self.mock.requests(symbol=sym)), 1, f"{sym}: one request")
        for sym, iv in (("BTCUSDT", "1d"), ("ETHUSDT", "1d"), ("BTCUSDT", "4h"), ("ETHUSDT", "1w"),
                        ("BTCUSDT", "1M"), ("ETHUSDT", "4h")):
            reqs = [r for r in self.mock.requests(symbol=sym, interval=iv) if r["query"].get("limit") != "1"]
            starts = Counter(r["query"].get("startTime") for r in reqs)
            self.assertTrue(reqs, f"{sym} {iv}: no request")
            self.assertEqual(max(starts.values()), 1, f"{sym} {iv}: a page was fetched twice: {starts}")

    def test_readers_of_two_years_during_one_daily_fetch(self):
        # A reader of 2023 arriving while the daily history is being fetched
        # for 2024 gets its year from that answer.
        m = self.mount()
        self.mock.fault("slow", provider="yahoo", delay_ms=1500, count=1)
        paths = [m.path("AAPL/1d/2024.csv.gz")] * 4 + [m.path("AAPL/1d/2023.csv.gz")] * 4
        results = read_in_threads(paths)
        self.assertAllRead(results)
        for p, data in results:
            year = int(os.path.basename(p)[:4])
            self.assertCsvEqual(data, expected.expected_csv("yahoo", "AAPL", "1d", year), p)
        n = len(self.mock.requests(symbol="AAPL"))
        self.assertEqual(n, 1, f"the daily history was requested {n} times")


if __name__ == "__main__":
    harness.main()
