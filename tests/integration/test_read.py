#!/usr/bin/python3
"""Reading through the mount: every common tool gets the complete, correct
bytes of a never-fetched file on the first try (SPEC §2 "Sizes, times and
consistency"), sidecars describe their data file, listings and stats never
reach a provider, and the gzip output is deterministic."""

import gzip
import os
import shutil
import stat
import subprocess
import time

import pandas

import harness
from harness import expected, gunzip_text, sha256

CUR = harness.current_year()
RSYNC_VANISHED = 24  # rsync: "some files vanished before they could be transferred"


class ReadTest(harness.MarketfsTest):

    # ------------------------------------------------------------ tools
    def test_cat_absent_file(self):
        m = self.mount()
        r = subprocess.run(["cat", m.path("AAPL/1d/2024.csv.gz")], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, f"cat failed: {r.stderr!r}")
        self.assertCsvEqual(r.stdout, expected.expected_csv("yahoo", "AAPL", "1d", 2024),
                            "cat AAPL/1d/2024.csv.gz")

    def test_zcat_absent_file_first_year(self):
        # MSFT's first year: the file starts at its first session (2012-01-03)
        m = self.mount()
        r = subprocess.run(["zcat", m.path("MSFT/1d/2012.csv.gz")], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, f"zcat failed: {r.stderr!r}")
        want = expected.expected_csv("yahoo", "MSFT", "1d", 2012)
        self.assertTrue(want.splitlines()[1].startswith("2012-01-03,"), "oracle sanity")
        got = r.stdout.decode()
        self.assertEqual(got, want, harness.diff_summary(got, want))

    def test_gzip_open_absent_file_binance_1d_listing_year(self):
        # BTCUSDT's listing year: the daily file starts at 2017-08-17
        m = self.mount()
        with gzip.open(m.path("BTCUSDT/1d/2017.csv.gz"), "rt", encoding="utf-8", newline="") as fh:
            got = fh.read()
        want = expected.expected_csv("binance", "BTCUSDT", "1d", 2017)
        self.assertEqual(got, want, harness.diff_summary(got, want))

    def test_python_open_read_absent_binance_1h(self):
        m = self.mount()
        data = m.read("BTCUSDT/1h/2024.csv.gz")
        self.assertCsvEqual(data, expected.expected_csv("binance", "BTCUSDT", "1h", 2024),
                            "BTCUSDT/1h/2024.csv.gz")
        # the 2020 outage does not concern 2024; 2024 is a leap year: 8784 hourly bars
        self.assertEqual(gunzip_text(data).count("\n") - 1, 8784)

    def test_pandas_read_csv_absent_file(self):
        m = self.mount()
        df = pandas.read_csv(m.path("AAPL/1d/2024.csv.gz"))
        rows = expected.expected_rows("yahoo", "AAPL", "1d", 2024)
        self.assertEqual(list(df.columns),
                         ["timestamp", "open", "high", "low", "close", "volume", "adj_close"])
        self.assertEqual(len(df), len(rows))
        self.assertEqual(str(df["timestamp"].dtype), "object")
        for col in ("open", "high", "low", "close", "adj_close"):
            self.assertEqual(str(df[col].dtype), "float64", f"dtype of {col}")
        self.assertEqual(str(df["volume"].dtype), "int64", "volume must be read as integers")
        self.assertEqual(list(df["timestamp"]), [r[0] for r in rows])
        for i, col in enumerate(("open", "high", "low", "close", "volume", "adj_close"), start=1):
            want = [r[i] for r in rows]
            got = df[col].tolist()
            bad = [(rows[k][0], g, w) for k, (g, w) in enumerate(zip(got, want)) if abs(g - w) > 1e-9 * abs(w)]
            self.assertFalse(bad, f"{col}: first mismatches (date, got, want): {bad[:3]}")
        # the file parses as dates too, in strictly increasing order
        ts = pandas.to_datetime(df["timestamp"], format="%Y-%m-%d")
        self.assertTrue(ts.is_monotonic_increasing and ts.is_unique)

    def test_pandas_intraday_binance(self):
        m = self.mount()
        df = pandas.read_csv(m.path("BTCUSDT/1h/2023.csv.gz"), parse_dates=["timestamp"])
        rows = expected.expected_rows("binance", "BTCUSDT", "1h", 2023)
        self.assertEqual(list(df.columns), ["timestamp", "open", "high", "low", "close", "volume"])
        self.assertEqual(len(df), len(rows))
        self.assertEqual(str(df["timestamp"].dtype), "datetime64[ns]")
        self.assertEqual(df["timestamp"].iloc[0], pandas.Timestamp("2023-01-01 00:00:00"))
        self.assertEqual(df["timestamp"].iloc[-1], pandas.Timestamp("2023-12-31 23:00:00"))
        self.assertEqual(df["close"].tolist(), [r[4] for r in rows])

    def test_cp_absent_file(self):
        m = self.mount()
        dst = os.path.join(self.workdir, "copy.csv.gz")
        r = subprocess.run(["cp", m.path("BTCUSDT/1h/2024.csv.gz"), dst], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, f"cp failed: {r.stderr}")
        with open(dst, "rb") as fh:
            copied = fh.read()
        self.assertCsvEqual(copied, expected.expected_csv("binance", "BTCUSDT", "1h", 2024), "cp copy")
        self.assertEqual(copied, m.read("BTCUSDT/1h/2024.csv.gz"))

    def test_rsync_absent_single_file(self):
        m = self.mount()
        dst = os.path.join(self.workdir, "r.csv.gz")
        r = subprocess.run(["rsync", m.path("MSFT/1d/2023.csv.gz"), dst], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, f"rsync failed: {r.stderr}")
        with open(dst, "rb") as fh:
            self.assertCsvEqual(fh.read(), expected.expected_csv("yahoo", "MSFT", "1d", 2023),
                                "rsync copy of MSFT/1d/2023.csv.gz")

    def test_rsync_uncached_directory(self):
        # The first listing of a never-fetched symbol shows years from
        # history_start (2000); the first fetch learns 2010 and the earlier
        # years vanish, so the first rsync may exit 24. The second must exit 0
        # and the copy must hold exactly the years that exist, all correct.
        m = self.mount()
        dst = os.path.join(self.workdir, "rsync-dst") + "/"
        src = m.path("AAPL/1d") + "/"
        r1 = subprocess.run(["rsync", "-a", src, dst], capture_output=True, text=True, timeout=120)
        self.assertIn(r1.returncode, (0, RSYNC_VANISHED), f"first rsync: {r1.stderr}")
        if r1.returncode == RSYNC_VANISHED:
            self.assertIn("vanished", r1.stderr)
        r2 = subprocess.run(["rsync", "-a", src, dst], capture_output=True, text=True, timeout=120)
        self.assertEqual(r2.returncode, 0, f"second rsync must succeed: {r2.stderr}")
        years = expected.all_years("yahoo", "AAPL", "1d")
        want_names = sorted([f"{y}.csv.gz" for y in years] + [f"{y}.metadata.json" for y in years])
        self.assertEqual(sorted(os.listdir(dst)), want_names)
        self.assertEqual(sorted(os.listdir(src)), want_names, "listing after the fetch")
        for y in years:
            with open(os.path.join(dst, f"{y}.csv.gz"), "rb") as fh:
                data = fh.read()
            with open(os.path.join(dst, f"{y}.metadata.json"), "rb") as fh:
                side = fh.read()
            self.assertEqual(data, m.read(f"AAPL/1d/{y}.csv.gz"), f"rsync copy of {y}.csv.gz")
            self.assertEqual(side, m.read(f"AAPL/1d/{y}.metadata.json"), f"copy of {y}.metadata.json")
            if y < CUR:
                self.assertCsvEqual(data, expected.expected_csv("yahoo", "AAPL", "1d", y), f"AAPL/1d/{y}")
            else:
                sc = m.sidecar(f"AAPL/1d/{y}.csv.gz")
                self.assertOracle(data, "yahoo", "AAPL", "1d", y, harness.fetch_times(sc, time.time(), time.time()))

    # ------------------------------------------------------------ current year
    def test_current_year_intraday_yahoo_1h(self):
        m = self.mount()
        t0 = time.time()
        data = m.read(f"AAPL/1h/{CUR}.csv.gz")
        t1 = time.time()
        sc = m.sidecar(f"AAPL/1h/{CUR}.csv.gz")
        self.assertOracle(data, "yahoo", "AAPL", "1h", CUR, harness.fetch_times(sc, t0, t1))
        self.assertIsNotNone(sc["stale_after"], "a current-year file is never final")
        # every row is a complete bar: none opens later than now - 1h
        last = gunzip_text(data).splitlines()[-1].split(",")[0]
        self.assertLessEqual(harness.parse_iso(last.replace(" ", "T") + "Z") + 3600, t1 + 1)

    def test_current_year_binance_1h(self):
        m = self.mount()
        t0 = time.time()
        data = m.read(f"BTCUSDT/1h/{CUR}.csv.gz")
        t1 = time.time()
        sc = m.sidecar(f"BTCUSDT/1h/{CUR}.csv.gz")
        self.assertOracle(data, "binance", "BTCUSDT", "1h", CUR, harness.fetch_times(sc, t0, t1))

    # ------------------------------------------------------------ sidecars
    def check_sidecar(self, m, rel, provider, symbol, tf, year, t0, t1):
        data = m.read(rel)
        sc = m.sidecar(rel)  # json.load through the mount
        rows = expected.expected_rows(provider, symbol, tf, year)
        self.assertEqual((sc["symbol"], sc["timeframe"], sc["year"]), (symbol, tf, year))
        self.assertEqual(sc["data_source"], provider)
        fi = sc["file_info"]
        self.assertEqual(fi["format"], "csv.gz")
        self.assertEqual(fi["sha256"], sha256(data), "file_info.sha256 is the data file's sha256")
        self.assertEqual(fi["size_bytes"], len(data))
        self.assertEqual(fi["rows"], len(rows))
        self.assertEqual(fi["rows"], gunzip_text(data).count("\n") - 1)
        cols = ["open", "high", "low", "close", "volume"] + (["adj_close"] if expected.has_adj_close(provider, tf) else [])
        self.assertEqual(fi["columns"], cols)
        self.assertEqual(sc["start_date"][:10], rows[0][0][:10])
        self.assertEqual(sc["end_date"][:10], rows[-1][0][:10])
        for key in ("created_at", "last_updated"):
            t = harness.parse_iso(sc[key])  # ISO 8601 UTC with Z
            self.assertTrue(t0 - 2 <= t <= t1 + 2, f"{key} {sc[key]} is not the fetch time")
        self.assertIsNone(sc["stale_after"], "a past year fetched after it ended is final")
        dq = sc["data_quality"]
        self.assertTrue(0.0 <= dq["score"] <= 1.0)
        self.assertIsInstance(dq["validation_errors"], list)
        self.assertEqual(dq["duplicates"], 0)
        self.assertIn("gaps", dq)
        self.assertEqual(sc["provider_info"]["name"], provider)
        self.assertIn("reliability", sc["provider_info"])
        self.assertIn("rate_limit", sc["provider_info"])
        self.assertEqual(sc["adjustment"], "splits")
        self.assertGreaterEqual(sc["fetch"]["requests"], 1)
        self.assertIsInstance(sc["fetch"]["duration_ms"], int)
        self.assertEqual(sc["fetch"]["providers_tried"][-1], {"name": provider, "result": "ok"})
        want_mk = {"yahoo": ("stock", "America/New_York"), "binance": ("crypto", "UTC")}[provider]
        self.assertEqual((sc["market"]["class"], sc["market"]["timezone"]), want_mk)
        return sc

    def test_sidecar_describes_data_file(self):
        m = self.mount()
        t0 = time.time()
        m.read("AAPL/1d/2024.csv.gz")
        m.read("BTCUSDT/1h/2024.csv.gz")
        t1 = time.time()
        sc = self.check_sidecar(m, "AAPL/1d/2024.csv.gz", "yahoo", "AAPL", "1d", 2024, t0, t1)
        self.assertEqual(sc["market"]["session_close"], "16:00")
        self.check_sidecar(m, "BTCUSDT/1h/2024.csv.gz", "binance", "BTCUSDT", "1h", 2024, t0, t1)

    def test_sidecar_read_first_fetches(self):
        # Reading the sidecar of an absent year triggers the same fetch as its data file.
        m = self.mount()
        t0 = time.time()
        sc = m.sidecar("MSFT/1d/2023.metadata.json")
        t1 = time.time()
        n = len(self.mock.requests(symbol="MSFT"))
        self.assertGreaterEqual(n, 1)
        self.check_sidecar(m, "MSFT/1d/2023.csv.gz", "yahoo", "MSFT", "1d", 2023, t0, t1)
        self.assertEqual(len(self.mock.requests(symbol="MSFT")), n,
                         "the data file was installed with its sidecar: no second request")
        self.assertEqual(sc["file_info"]["sha256"], sha256(m.read("MSFT/1d/2023.csv.gz")))

    # ------------------------------------------------------------ sizes and stat
    def test_stat_size_zero_then_exact_after_open(self):
        m = self.mount()
        p = m.path("AAPL/1d/2023.csv.gz")
        st = os.stat(p)
        self.assertEqual(st.st_size, 0, "a never-fetched file has size 0 until opened")
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o444)
        fd = os.open(p, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            chunks = []
            while True:
                b = os.read(fd, 65536)
                if not b:
                    break
                chunks.append(b)
        finally:
            os.close(fd)
        data = b"".join(chunks)
        self.assertGreater(size, 0)
        self.assertEqual(size, len(data), "fstat after open gives the exact size")
        self.assertEqual(os.stat(p).st_size, len(data), "stat after the fetch is exact")
        self.assertCsvEqual(data, expected.expected_csv("yahoo", "AAPL", "1d", 2023), "AAPL/1d/2023")
        sc_path = m.path("AAPL/1d/2023.metadata.json")
        with open(sc_path, "rb") as fh:
            self.assertEqual(os.stat(sc_path).st_size, len(fh.read()))

    def test_ls_l_sizes_exact_for_cached_files(self):
        m = self.mount()
        files = {"AAPL/1d/2024.csv.gz": None, "AAPL/1d/2024.metadata.json": None,
                 "BTCUSDT/1d/2024.csv.gz": None, "BTCUSDT/1d/2024.metadata.json": None}
        for rel in files:
            files[rel] = len(m.read(rel))
        before = len(self.mock.log())
        for d in ("AAPL/1d", "BTCUSDT/1d"):
            r = subprocess.run(["ls", "-l", "--time-style=+%s", m.path(d)], capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            sizes = {}
            for line in r.stdout.splitlines()[1:]:
                f = line.split()
                sizes[f[-1]] = (f[0], int(f[4]))
            for rel, n in files.items():
                if rel.startswith(d + "/"):
                    name = rel.split("/")[-1]
                    self.assertIn(name, sizes, f"ls -l {d} lists {name}")
                    self.assertEqual(sizes[name], ("-r--r--r--", n), f"ls -l size of {rel}")
            st = os.stat(m.path(d))
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o555)
        self.assertEqual(len(self.mock.log()), before, "ls -l sent a provider request")

    def test_mtime_is_last_updated(self):
        # SPEC: st_mtime is the data's last_updated. A slow answer puts more
        # than a second between the start of the fetch and the install, so a
        # file time taken at either end shows up.
        m = self.mount()
        self.mock.fault("slow", provider="binance", delay_ms=1500, count=1)
        rel = "BTCUSDT/1d/2023.csv.gz"
        m.read(rel)
        lu = int(harness.parse_iso(m.sidecar(rel)["last_updated"]))
        for r in (rel, rel[: -len(".csv.gz")] + ".metadata.json"):
            mt = os.stat(m.path(r)).st_mtime
            self.assertEqual(int(mt), lu, f"{r}: st_mtime {mt:.3f} is not last_updated "
                             f"{m.sidecar(rel)['last_updated']} ({lu})")

    def test_listing_sends_no_provider_request(self):
        m = self.mount()
        self.assertEqual(os.listdir(m.mnt), ["_metadata"], "nothing cached, no watch list")
        tfs = ["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M"]
        self.assertEqual(sorted(os.listdir(m.path("AAPL"))), sorted(tfs + ["actions.csv", "fundamentals", "info.json"]))
        self.assertEqual(sorted(os.listdir(m.path("BTCUSDT"))), sorted(tfs + ["info.json"]))
        for sym in ("AAPL", "BTCUSDT", "MSFT"):
            for tf in tfs:
                for name in os.listdir(m.path(f"{sym}/{tf}")):
                    os.stat(m.path(f"{sym}/{tf}/{name}"))  # stat of never-fetched files too
        subprocess.run(["ls", "-lR", m.path("AAPL")], capture_output=True, timeout=30, check=True)
        self.assertEqual(self.mock.log(), [], "listing or stat reached a provider")
        # after fetches the listing shows what was learned, still without requests
        m.read("AAPL/1d/2024.csv.gz")
        m.read("BTCUSDT/1d/2024.csv.gz")
        n = len(self.mock.log())
        self.assertEqual(sorted(os.listdir(m.mnt)), ["AAPL", "BTCUSDT", "_metadata"])
        for sym, prov in (("AAPL", "yahoo"), ("BTCUSDT", "binance")):
            names = sorted(os.listdir(m.path(f"{sym}/1d")))
            years = expected.all_years(prov, sym, "1d")
            self.assertEqual(names, sorted([f"{y}.csv.gz" for y in years] +
                                           [f"{y}.metadata.json" for y in years]),
                             f"{sym}/1d lists the years from the learned first year")
            for name in names:
                os.stat(m.path(f"{sym}/1d/{name}"))
        # Yahoo 1h reaches back 730 days: only those years are listed
        names = os.listdir(m.path("AAPL/1h"))
        years = expected.all_years("yahoo", "AAPL", "1h")
        self.assertEqual(sorted(names), sorted([f"{y}.csv.gz" for y in years] +
                                               [f"{y}.metadata.json" for y in years]))
        self.assertEqual(len(self.mock.log()), n, "listing after a fetch reached a provider")

    def test_one_request_installs_every_year_of_yahoo_daily(self):
        m = self.mount()
        m.read("AAPL/1d/2024.csv.gz")
        reqs = self.mock.requests(symbol="AAPL")
        self.assertEqual(len(reqs), 1, f"one request expected, got {[r['query'] for r in reqs]}")
        years = expected.all_years("yahoo", "AAPL", "1d")
        missing = [y for y in years if not os.path.exists(m.cache_path(f"AAPL/1d/{y}.csv.gz"))]
        self.assertEqual(missing, [], "years not installed by the one daily request")
        for y in (2010, 2015, 2020, 2023):
            self.assertCsvEqual(m.read(f"AAPL/1d/{y}.csv.gz"),
                                expected.expected_csv("yahoo", "AAPL", "1d", y), f"AAPL/1d/{y}")
        self.assertEqual(len(self.mock.requests(symbol="AAPL")), 1,
                         "reading other years sent more requests")

    # ------------------------------------------------------------ determinism
    def test_byte_identical_across_reads_and_refetch(self):
        m = self.mount()
        names = ["AAPL/1d/2024.csv.gz", "BTCUSDT/1h/2024.csv.gz", "MSFT/1d/2015.csv.gz"]
        first = {n: m.read(n) for n in names}
        for n, data in first.items():
            self.assertEqual(m.read(n), data, f"second read of {n}")
            # deterministic gzip: no time stamp and no file name in the header
            self.assertEqual(data[:3], b"\x1f\x8b\x08")
            self.assertEqual(data[3] & 0x08, 0, f"{n}: gzip header has a file name")
            self.assertEqual(data[4:8], b"\0\0\0\0", f"{n}: gzip header has a time stamp")
        # throw the cache away, fetch again: the same bytes
        self.assertEqual(m.umount(), 0)
        shutil.rmtree(m.cache)
        os.makedirs(m.cache)
        self.mock.reset()
        m.start()
        for n, data in first.items():
            again = m.read(n)
            self.assertEqual(sha256(again), sha256(data), f"{n} differs after a re-fetch")
        self.assertGreaterEqual(len(self.mock.log()), 3, "the files were fetched again")

    def test_random_access_reads(self):
        m = self.mount()
        data = m.read("BTCUSDT/1h/2022.csv.gz")
        fd = os.open(m.path("BTCUSDT/1h/2022.csv.gz"), os.O_RDONLY)
        try:
            for off, n in ((0, 10), (len(data) // 2, 4096), (len(data) - 100, 1000), (len(data), 10),
                           (12345, 1)):
                self.assertEqual(os.pread(fd, n, off), data[off:off + n], f"pread({n}, {off})")
        finally:
            os.close(fd)


if __name__ == "__main__":
    harness.main()
