#!/usr/bin/python3
"""Failures (SPEC §1 names, §3 "Failure", §4 rate limits): provider errors
become EIO with a log line naming the provider and the cause, stale copies
are served when a refresh fails, unknown symbols and invalid names are
ENOENT without (repeated) provider requests, everything is read-only, an
interrupted reader gets EINTR while the fetch completes in the background,
and offline mode never fetches."""

import errno
import os
import signal
import subprocess
import sys
import time

import harness
from harness import expected, parse_iso, sha256

CUR = harness.current_year()

# A reader that reports the errno of one open(2), with a SIGINT handler that
# does not kill it (so EINTR is visible); ctypes calls open(2) directly,
# bypassing Python's automatic EINTR retry.
EINTR_READER = r"""
import ctypes, os, signal, sys, time
signal.signal(signal.SIGINT, lambda s, f: None)
libc = ctypes.CDLL(None, use_errno=True)
t = time.monotonic()
fd = libc.open(sys.argv[1].encode(), os.O_RDONLY)
print(fd, ctypes.get_errno(), round(time.monotonic() - t, 3), flush=True)
"""


def cache_files(m):
    """Every file under the cache directory except the index."""
    out = []
    for root, _, names in os.walk(m.cache):
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), m.cache)
            if not rel.startswith("_metadata"):
                out.append(rel)
    return sorted(out)


def cache_digest(m):
    out = {}
    for rel in cache_files(m):
        with open(os.path.join(m.cache, rel), "rb") as fh:
            out[rel] = sha256(fh.read())
    return out


class FailureTest(harness.MarketfsTest):

    def open_errno(self, path):
        try:
            with open(path, "rb") as fh:
                fh.read()
        except OSError as e:
            return e.errno
        return 0

    # ------------------------------------------------------------ provider errors
    def test_http_500_forever_nothing_cached_is_eio(self):
        m = self.mount()
        m.expect_error(r"(?i)yahoo.*500|500.*yahoo")
        self.mock.fault("500", provider="yahoo", count=-1)
        self.assertErrno(errno.EIO, m.read, "AAPL/1d/2024.csv.gz", what="provider down")
        reqs = self.mock.requests(symbol="AAPL")
        self.assertGreaterEqual(len(reqs), 1)
        self.assertLessEqual(len(reqs), 3, "at most 3 tries per provider per fetch")
        self.assertTrue(all(r["status"] == 500 for r in reqs))
        lines = [l for l in m.log_text().splitlines() if "yahoo" in l and "HTTP 500" in l]
        self.assertTrue(lines, "no log line names yahoo and HTTP 500")
        self.assertFalse(os.path.exists(m.cache_path("AAPL/1d/2024.csv.gz")))
        # a transient failure is not remembered: once the provider is back, it works
        self.mock.reset()
        self.assertCsvEqual(m.read("AAPL/1d/2024.csv.gz"),
                            expected.expected_csv("yahoo", "AAPL", "1d", 2024), "after recovery")

    def test_http_500_twice_then_success(self):
        m = self.mount()
        self.mock.fault("500", provider="yahoo", count=2)
        self.assertCsvEqual(m.read("AAPL/1d/2024.csv.gz"),
                            expected.expected_csv("yahoo", "AAPL", "1d", 2024), "after two retries")
        self.assertEqual([r["status"] for r in self.mock.requests(symbol="AAPL")], [500, 500, 200])

    def test_stale_copy_served_when_refresh_fails(self):
        m = self.mount(config={"max_age": "2s"})
        m.expect_error(r"(?i)yahoo.*500|500.*yahoo")
        rel = f"AAPL/1d/{CUR}.csv.gz"
        old = m.read(rel)
        sc = m.cached_sidecar(rel)
        stale_at = parse_iso(sc["stale_after"])
        time.sleep(max(0, stale_at - time.time()) + 1.2)  # time must pass for staleness
        self.mock.fault("500", provider="yahoo", count=-1)
        n = len(self.mock.requests(symbol="AAPL"))
        self.assertEqual(m.read(rel), old, "the stale copy must be served when the refresh fails")
        new = self.mock.requests(symbol="AAPL")[n:]
        self.assertTrue(new and all(r["status"] == 500 for r in new), "the refresh was not tried")
        self.assertTrue([l for l in m.log_text().splitlines() if "stale" in l.lower() and "AAPL" in l],
                        "the log does not say that the stale copy was served")
        self.assertTrue([l for l in m.log_text().splitlines() if "HTTP 500" in l])

    def test_stall_hits_fetch_timeout(self):
        m = self.mount(config={"fetch_timeout": "3"})
        m.expect_error(r"(?i)time|deadline")
        self.mock.fault("stall", provider="yahoo", count=-1, stall_s=30)
        t0 = time.monotonic()
        self.assertErrno(errno.EIO, m.read, "AAPL/1d/2024.csv.gz", what="stalled provider")
        took = time.monotonic() - t0
        self.assertGreaterEqual(took, 2.5, "EIO before fetch_timeout")
        self.assertLessEqual(took, 6.5, f"fetch_timeout = 3 but the reader waited {took:.1f} s")
        self.assertTrue(any(("timeout" in l.lower() or "deadline" in l.lower()) and "AAPL" in l
                            for l in m.log_text().splitlines()), "the log does not say it timed out")
        self.mock.reset()  # release the stalled request

    def check_bad_body(self, mode, provider, rel):
        m = self.mount()
        m.expect_error(rf"(?i){provider}")
        self.mock.fault(mode, provider=provider, count=-1)
        self.assertErrno(errno.EIO, m.read, rel, what=f"{mode} answer")
        sym = rel.split("/")[0]
        self.assertGreaterEqual(len(self.mock.requests(symbol=sym)), 1)
        self.assertEqual(cache_files(m), [], f"a {mode} answer left files in the cache")
        self.assertTrue([l for l in m.log_text().splitlines() if provider in l and sym in l],
                        f"no log line names {provider} for the {mode} answer")
        return m

    def test_truncated_body_is_eio_and_installs_nothing(self):
        self.check_bad_body("truncate", "yahoo", "AAPL/1d/2024.csv.gz")

    def test_truncated_binance_body_is_eio(self):
        self.check_bad_body("truncate", "binance", "BTCUSDT/1d/2024.csv.gz")

    def test_malformed_json_is_eio_and_installs_nothing(self):
        self.check_bad_body("malformed", "yahoo", "AAPL/1d/2024.csv.gz")

    def test_malformed_binance_json_is_eio(self):
        self.check_bad_body("malformed", "binance", "BTCUSDT/1d/2024.csv.gz")

    def test_wrong_granularity_is_not_cached(self):
        # Yahoo silently answers with a coarser granularity than asked for;
        # those bars must not be cached as daily bars.
        self.check_bad_body("granularity", "yahoo", "AAPL/1d/2024.csv.gz")

    # ------------------------------------------------------------ rate limits
    def test_429_with_retry_after_is_honoured(self):
        m = self.mount()
        self.mock.fault("429", provider="yahoo", count=1, retry_after=2)
        self.assertCsvEqual(m.read("AAPL/1d/2024.csv.gz"),
                            expected.expected_csv("yahoo", "AAPL", "1d", 2024), "after a 429")
        reqs = self.mock.requests(symbol="AAPL")
        self.assertEqual([r["status"] for r in reqs], [429, 200])
        gap = reqs[1]["ts"] - reqs[0]["ts"]
        self.assertGreaterEqual(gap, 1.5, f"Retry-After: 2 but the retry came after {gap:.2f} s")

    def test_binance_418_ban_with_retry_after(self):
        m = self.mount()
        self.mock.fault("418", provider="binance", count=1, retry_after=1)
        self.assertCsvEqual(m.read("BTCUSDT/1d/2024.csv.gz"),
                            expected.expected_csv("binance", "BTCUSDT", "1d", 2024), "after a 418")
        reqs = [r for r in self.mock.requests(symbol="BTCUSDT") if r["query"].get("limit") != "1"]
        self.assertEqual(reqs[0]["status"], 418)
        self.assertEqual(reqs[1]["status"], 200)
        gap = reqs[1]["ts"] - reqs[0]["ts"]
        self.assertGreaterEqual(gap, 0.8, f"Retry-After: 1 but the retry came after {gap:.2f} s")

    def test_binance_451_restricted_location(self):
        m = self.mount()
        m.expect_error(r"(?i)restricted|451|binance")
        self.mock.fault("451", provider="binance", count=-1)
        self.assertErrno(errno.EIO, m.read, "BTCUSDT/1d/2024.csv.gz", what="HTTP 451")
        reqs = self.mock.requests(symbol="BTCUSDT")
        self.assertGreaterEqual(len(reqs), 1)
        self.assertLessEqual(len(reqs), 3, "451 is permanent: no retry storm")
        self.assertTrue([l for l in m.log_text().splitlines()
                         if "binance" in l and ("restricted" in l.lower() or "location" in l.lower())],
                        "the log does not mention the restricted location")
        self.assertEqual(cache_files(m), [])

    # ------------------------------------------------------------ names
    def test_unknown_symbol_is_enoent_and_remembered(self):
        m = self.mount()
        for sym in ("ZZZZ", "ZZZUSDT"):  # a stock (Yahoo) and a crypto pair (Binance)
            self.assertErrno(errno.ENOENT, m.read, f"{sym}/1d/2024.csv.gz", what=f"unknown {sym}")
            self.assertErrno(errno.ENOENT, m.read, f"{sym}/1d/2024.csv.gz", what=f"{sym} again")
            self.assertErrno(errno.ENOENT, m.read, f"{sym}/1d/2023.csv.gz", what=f"{sym} other year")
            self.assertErrno(errno.ENOENT, m.read, f"{sym}/1h/2024.csv.gz", what=f"{sym} other tf")
            self.assertErrno(errno.ENOENT, os.stat, m.path(sym), what=f"stat {sym} once unknown")
            reqs = [r for r in self.mock.requests(symbol=sym) if r["query"].get("limit") != "1"]
            self.assertEqual(len(reqs), 1, f"{sym}: the negative answer was not remembered: "
                             f"{[(r['path'], r['query']) for r in reqs]}")
        self.assertNotIn("ZZZZ", os.listdir(m.mnt))
        self.assertNotIn("ZZZUSDT", os.listdir(m.mnt))
        # remembered across a restart too (negative_ttl is an hour)
        n = len(self.mock.log())
        m.restart()
        self.assertErrno(errno.ENOENT, m.read, "ZZZZ/1d/2024.csv.gz", what="ZZZZ after restart")
        self.assertEqual(len(self.mock.log()), n, "the negative cache was lost on restart")

    def test_invalid_names_are_enoent_without_requests(self):
        m = self.mount()
        bad = ["AA PL/1d/2024.csv.gz", "AAPL$/1d/2024.csv.gz", "A" * 33 + "/1d/2024.csv.gz",
               "AAPL/2d/2024.csv.gz", "AAPL/1D/2024.csv.gz", "AAPL/1d/2024.csv",
               "AAPL/1d/1999x.csv.gz", "AAPL/1d/24.csv.gz", "AAPL/1d/02024.csv.gz",
               "AAPL/1d/2024.CSV.GZ", "AAPL/1d/2024.csv.gz.tmp", "AAPL/1d/.2024.csv.gz.tmp.abcdef",
               "AAPL/1d/2024.metadata.json.bak", "AAPL/1d/2024.json", "AAPL/1d/2024/x",
               ".../1d/2024.csv.gz", "AAPL/1d/...", "AAPL/1d/.", "AAPL/x/2024.csv.gz"]
        for rel in bad:
            p = m.path(rel)
            if rel.endswith("/."):
                # AAPL/1d/. is the directory itself: stat works, opening it to read fails
                self.assertTrue(os.path.isdir(p))
                continue
            allowed = (errno.ENOENT, errno.ENOTDIR) if rel.endswith("/x") else (errno.ENOENT,)
            for what, fn in (("stat", os.stat), ("open", lambda q: open(q, "rb").close())):
                with self.assertRaises(OSError, msg=f"{what} {rel} succeeded") as cm:
                    fn(p)
                self.assertIn(cm.exception.errno, allowed, f"{what} {rel}: {cm.exception}")
        self.assertEqual(self.mock.log(), [], "an invalid name reached a provider")

    def test_years_outside_the_served_range(self):
        m = self.mount()
        # before learning anything: 2005 is looked up at the provider, then known to be empty
        self.assertErrno(errno.ENOENT, m.read, "AAPL/1d/2005.csv.gz", what="AAPL before its first year")
        n = len(self.mock.log())
        self.assertLessEqual(n, 1)
        for rel in ("AAPL/1d/2006.csv.gz", "AAPL/1d/2009.csv.gz", f"AAPL/1d/{CUR + 1}.csv.gz",
                    f"AAPL/1m/{CUR - 2}.csv.gz", f"AAPL/1h/{CUR - 3}.csv.gz",
                    "AAPL/1d/2005.metadata.json"):
            self.assertErrno(errno.ENOENT, m.read, rel, what=rel)
            self.assertErrno(errno.ENOENT, os.stat, m.path(rel), what=f"stat {rel}")
        self.assertEqual(len(self.mock.log()), n, "a year that cannot exist reached a provider")
        self.assertTrue([l for l in m.log_text().splitlines() if "AAPL/1d/2009" in l],
                        "reading a year that does not exist does not say why in the log")
        m.read("BTCUSDT/1d/2018.csv.gz")
        n = len(self.mock.log())
        self.assertErrno(errno.ENOENT, m.read, "BTCUSDT/1d/2016.csv.gz", what="BTCUSDT before listing")
        self.assertEqual(len(self.mock.log()), n)

    # ------------------------------------------------------------ read-only
    def test_writes_are_erofs(self):
        m = self.mount()
        f = m.path("AAPL/1d/2024.csv.gz")
        data = m.read("AAPL/1d/2024.csv.gz")
        before = cache_digest(m)
        n = len(self.mock.log())
        d = m.path("AAPL/1d")
        ops = [
            ("open r+", lambda: open(f, "r+b")),
            ("open append", lambda: open(f, "ab")),
            ("open write absent year", lambda: os.open(m.path("AAPL/1d/2023.csv.gz"), os.O_WRONLY)),
            ("create", lambda: open(os.path.join(d, "new.csv.gz"), "wb")),
            ("create year", lambda: os.open(m.path("MSFT/1d/2020.csv.gz"), os.O_WRONLY | os.O_CREAT, 0o644)),
            ("mkdir in tf dir", lambda: os.mkdir(os.path.join(d, "sub"))),
            ("unlink", lambda: os.unlink(f)),
            ("rmdir", lambda: os.rmdir(d)),
            ("rename", lambda: os.rename(f, os.path.join(d, "2099.csv.gz"))),
            ("chmod", lambda: os.chmod(f, 0o644)),
            ("truncate", lambda: os.truncate(f, 0)),
            ("symlink", lambda: os.symlink("2024.csv.gz", os.path.join(d, "link"))),
            ("link", lambda: os.link(f, os.path.join(d, "hard"))),
            ("utime", lambda: os.utime(f, (0, 0))),
            ("setxattr", lambda: os.setxattr(f, "user.x", b"1")),
        ]
        for what, fn in ops:
            self.assertErrno(errno.EROFS, fn, what=what)
        # mkdir of a symbol-like name: every well-formed symbol "exists"
        for name in ("NEWSYM", "AAPL"):
            with self.assertRaises(OSError) as cm:
                os.mkdir(m.path(name))
            self.assertIn(cm.exception.errno, (errno.EROFS, errno.EEXIST), f"mkdir {name}")
        with self.assertRaises(OSError) as cm:
            os.mkdir(m.path("bad name"))
        self.assertEqual(cm.exception.errno, errno.EROFS, "mkdir of a non-symbol name")
        self.assertEqual(m.read("AAPL/1d/2024.csv.gz"), data)
        after = cache_digest(m)
        self.assertEqual(after, before, "a write attempt changed the cache")
        self.assertEqual(len(self.mock.log()), n, "a write attempt reached a provider")

    # ------------------------------------------------------------ interrupted readers
    def wait_request(self, symbol):
        return harness.wait_for(lambda: self.mock.requests(symbol=symbol), 10,
                                what=f"the provider request for {symbol}")

    def check_installed_in_background(self, m, rel, provider, symbol, tf, year):
        harness.wait_for(lambda: os.path.exists(m.cache_path(rel[: -len(".csv.gz")] + ".metadata.json")),
                         15, what=f"{rel} to be installed by the background fetch")
        n = len(self.mock.log())
        self.assertCsvEqual(m.read(rel), expected.expected_csv(provider, symbol, tf, year), rel)
        self.assertEqual(len(self.mock.log()), n, "the interrupted fetch was not kept")

    def test_sigint_cat_blocked_in_fetch(self):
        m = self.mount()
        self.mock.fault("slow", provider="yahoo", count=1, delay_ms=4000)
        rel = "AAPL/1d/2024.csv.gz"
        p = self.popen(["cat", m.path(rel)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.wait_request("AAPL")
        time.sleep(0.3)  # let cat settle in the blocked open (nothing observable to poll)
        self.assertIsNone(p.poll(), "cat finished before the slow answer")
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            self.fail("cat did not exit within 5 s of SIGINT")
        took = time.monotonic() - t0
        self.assertEqual(p.returncode, -signal.SIGINT, f"cat: {p.stderr.read()!r}")
        p.stderr.close()
        self.assertLess(took, 2.0, f"cat took {took:.2f} s to die after SIGINT")
        self.check_installed_in_background(m, rel, "yahoo", "AAPL", "1d", 2024)

    def test_interrupted_open_returns_eintr(self):
        m = self.mount()
        self.mock.fault("slow", provider="binance", count=1, delay_ms=4000)
        rel = "BTCUSDT/1d/2024.csv.gz"
        p = self.popen([sys.executable, "-c", EINTR_READER, m.path(rel)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.wait_request("BTCUSDT")
        time.sleep(0.3)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        try:
            out, err = p.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            self.fail("the reader did not return from open within 5 s of SIGINT")
        took = time.monotonic() - t0
        fields = out.split()
        self.assertEqual(len(fields), 3, f"reader output {out!r} {err!r}")
        fd, err_no = int(fields[0]), int(fields[1])
        self.assertEqual((fd, errno.errorcode.get(err_no, err_no)), (-1, "EINTR"),
                         "an interrupted open must fail with EINTR")
        self.assertLess(took, 2.0, f"open took {took:.2f} s to return after SIGINT")
        self.check_installed_in_background(m, rel, "binance", "BTCUSDT", "1d", 2024)

    # ------------------------------------------------------------ offline
    def test_offline_serves_cache_only(self):
        m = self.mount(config={"max_age": "2s"})
        cached = {"AAPL/1d/2024.csv.gz": None, f"BTCUSDT/1h/{CUR}.csv.gz": None}
        for rel in cached:
            cached[rel] = m.read(rel)
        stale_at = parse_iso(m.cached_sidecar(f"BTCUSDT/1h/{CUR}.csv.gz")["stale_after"])
        self.assertEqual(m.umount(), 0)
        m.options = ["offline"]
        self.mock.reset()
        m.start()
        time.sleep(max(0, stale_at - time.time()) + 0.5)  # let the current-year file go stale
        for rel, data in cached.items():
            self.assertEqual(m.read(rel), data, f"offline: cached {rel}")
        self.assertErrno(errno.EIO, m.read, "MSFT/1d/2024.csv.gz", what="offline, not cached")
        self.assertErrno(errno.EIO, m.read, f"AAPL/1h/{CUR}.csv.gz", what="offline, other timeframe")
        self.assertEqual(self.mock.log(), [], "offline mode sent a provider request")
        self.assertTrue([l for l in m.log_text().splitlines() if "offline" in l and "MSFT" in l],
                        "the log does not say why MSFT failed")


if __name__ == "__main__":
    harness.main()
