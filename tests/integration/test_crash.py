#!/usr/bin/python3
"""Crashes and the on-disk cache (SPEC §3 "Nothing partial is ever visible",
§7): kill -9 at any moment leaves no data file without its sidecar and no
half-written file under a final name; a new daemon on the same cache serves
every installed file without a request and removes old temp files; a cache
tree copied with rsync -a (without index.db) is served without a download;
a damaged data file or sidecar is detected and fetched again."""

import gzip
import json
import os
import shutil
import subprocess
import time

import harness
from harness import expected, sha256

CUR = harness.current_year()
PROVIDER = {"AAPL": "yahoo", "MSFT": "yahoo", "BTCUSDT": "binance", "ETHUSDT": "binance"}


def scan_cache(cache):
    """Check the cache tree on disk after a crash. Returns (complete pairs as
    ["SYM/TF/YEAR.csv.gz", ...], [problems], [torn]). Temp files
    (".NAME.tmp.XXXXXX") may be left behind; anything under a final name must
    be whole. The sidecar is renamed last (the commit record), so a kill
    between the two renames of one install may leave a data file whose
    sidecar is missing or does not carry its sha256: such a torn pair is
    returned in `torn`, and the caller checks it is never served as is."""
    pairs, problems, torn = [], [], []
    for root, dirs, names in os.walk(cache):
        rel_root = os.path.relpath(root, cache)
        if rel_root.split(os.sep)[0] == "_metadata":
            continue
        for n in names:
            rel = os.path.normpath(os.path.join(rel_root, n))
            path = os.path.join(root, n)
            if n.startswith("."):
                continue  # a temp file: never visible through the mount
            if n.endswith(".csv.gz"):
                side = n[: -len(".csv.gz")] + ".metadata.json"
                if side not in names:
                    torn.append(rel)
                    continue
                with open(path, "rb") as fh:
                    data = fh.read()
                try:
                    with open(os.path.join(root, side)) as fh:
                        sc = json.load(fh)
                except (ValueError, OSError) as e:
                    problems.append(f"{rel} or its sidecar is not whole: {e}")
                    continue
                try:
                    gzip.decompress(data)
                except (OSError, EOFError) as e:
                    problems.append(f"{rel} is not whole: {e}")
                    continue
                if sc["file_info"]["sha256"] != sha256(data):
                    torn.append(rel)
                    continue
                pairs.append(rel)
            elif n.endswith(".metadata.json"):
                try:
                    with open(path) as fh:
                        json.load(fh)  # a whole JSON document, never a prefix
                except ValueError as e:
                    problems.append(f"{rel} is not whole: {e}")
            elif n == "actions.csv" and os.path.dirname(rel).count(os.sep) == 0:
                with open(path) as fh:  # written whole (temp + rename) or not at all
                    if not fh.read().startswith("date,type,value\n"):
                        problems.append(f"{rel} is not whole")
            else:
                problems.append(f"unexpected file in the cache tree: {rel}")
    return sorted(pairs), problems, sorted(torn)


class CrashTest(harness.MarketfsTest):
    TIMEOUT = 150

    def check_served_without_request(self, m, pairs):
        """Every pair is served through the mount, equal to the oracle (past years)
        or to the cached bytes (current year), with no provider request."""
        self.mock.reset()
        for rel in pairs:
            sym, tf, name = rel.split("/")
            year = int(name[:4])
            data = m.read(rel)
            with open(m.cache_path(rel), "rb") as fh:
                self.assertEqual(data, fh.read(), f"{rel}: served bytes differ from the cache")
            if year < CUR:
                self.assertCsvEqual(data, expected.expected_csv(PROVIDER[sym], sym, tf, year), rel)
            sc = m.sidecar(rel)
            self.assertEqual(sc["file_info"]["sha256"], sha256(data))
        self.assertEqual(self.mock.log(), [], "installed files were fetched again")

    def test_kill9_during_fetch_then_remount(self):
        m = self.mount()
        m.read("AAPL/1d/2024.csv.gz")
        m.read("BTCUSDT/1d/2024.csv.gz")
        self.mock.fault("slow", provider="binance", delay_ms=5000, path_contains="interval=1h")
        reader = self.popen(["cat", m.path("BTCUSDT/1h/2024.csv.gz")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        harness.wait_for(lambda: self.mock.requests(symbol="BTCUSDT", interval="1h"), 10,
                         what="the 1h request")
        m.kill9()
        self.assertNotEqual(reader.wait(timeout=10), 0, "the reader of a dead mount succeeded")
        pairs, problems, torn = scan_cache(m.cache)
        self.assertEqual(problems, [])
        self.assertEqual(torn, [], "a torn pair although no install was under way")
        self.assertIn("AAPL/1d/2024.csv.gz", pairs)
        self.assertIn("BTCUSDT/1d/2024.csv.gz", pairs)
        self.assertNotIn("BTCUSDT/1h/2024.csv.gz", pairs)

        # temp files of an interrupted install: an old one goes at start, a young
        # one may belong to another process (marketfs-ctl) and stays
        old_tmp = m.cache_path("AAPL/1d/.2024.csv.gz.tmp.Ab12Cd")
        young_tmp = m.cache_path("AAPL/1d/.2023.metadata.json.tmp.Ef34Gh")
        for p in (old_tmp, young_tmp):
            with open(p, "wb") as fh:
                fh.write(b"\x1f\x8b partial")
        hour_ago = time.time() - 3600
        os.utime(old_tmp, (hour_ago, hour_ago))
        self.mock.reset()
        m.start()
        self.assertFalse(os.path.exists(old_tmp), "an hour-old temp file was not removed at start")
        self.assertTrue(os.path.exists(young_tmp), "a young temp file (maybe another process's) was removed")
        self.check_served_without_request(m, pairs)
        names = os.listdir(m.path("AAPL/1d"))
        self.assertFalse([n for n in names if n.startswith(".")], f"temp files are listed: {names}")
        # the interrupted file is fetched on the next read
        self.assertCsvEqual(m.read("BTCUSDT/1h/2024.csv.gz"),
                            expected.expected_csv("binance", "BTCUSDT", "1h", 2024), "BTCUSDT/1h/2024")

    def test_kill9_at_points_of_a_multi_year_install(self):
        # A Yahoo daily fetch installs every year of AAPL (17 pairs, 34 files)
        # in a few tens of milliseconds: watch the cache directory and kill the
        # daemon as soon as it holds k files, for several k, checking the tree
        # on disk each time and what a new daemon serves from it.
        m = self.mount(start=False)
        d = m.cache_path("AAPL/1d")

        def visible():
            try:
                return [n for n in os.listdir(d) if not n.startswith(".")]
            except FileNotFoundError:
                return []
        all_problems = []
        for k in (1, 2, 7, 14, 21, 28, 33):
            shutil.rmtree(m.cache)
            os.makedirs(m.cache)
            self.mock.reset()
            m.start()
            reader = self.popen(["cat", m.path("AAPL/1d/2020.csv.gz")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 20
            while len(visible()) < k:  # busy-wait: the install is quick
                self.assertLess(time.monotonic(), deadline, f"the install never reached {k} files")
            m.kill9()
            reader.wait(timeout=10)
            pairs, problems, torn = scan_cache(m.cache)
            all_problems += [f"killed at {k} files: {p}" for p in problems]
            m.start()
            self.check_served_without_request(m, pairs)
            # a torn pair is never trusted: reading it fetches it again
            for rel in torn:
                self.mock.reset()
                sym, tf, name = rel.split("/")
                self.assertCsvEqual(m.read(rel), expected.expected_csv("yahoo", sym, tf, int(name[:4])), rel)
                self.assertTrue(self.mock.requests(symbol=sym), f"torn {rel} was served without a fetch")
            # whatever the crash left, every year reads correctly now
            for y in (2010, 2015, 2020, 2024):
                self.assertCsvEqual(m.read(f"AAPL/1d/{y}.csv.gz"),
                                    expected.expected_csv("yahoo", "AAPL", "1d", y), f"AAPL/1d/{y}")
            self.assertEqual(m.umount(), 0)
            m.check_log()
        self.assertEqual(all_problems, [], "kill -9 left the cache tree inconsistent on disk")

    def test_rsync_copied_cache_is_served_without_download(self):
        a = self.mount(name="a")
        files = ["AAPL/1d/2024.csv.gz", "MSFT/1d/2023.csv.gz", "BTCUSDT/1h/2024.csv.gz",
                 "BTCUSDT/1d/2019.csv.gz"]
        seen = {rel: a.read(rel) for rel in files}
        sides = {rel: a.read(rel[: -len(".csv.gz")] + ".metadata.json") for rel in files}
        self.assertEqual(a.umount(), 0)
        b = self.mount(name="b", start=False)
        r = subprocess.run(["rsync", "-a", a.cache + "/", b.cache + "/"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        for n in os.listdir(os.path.join(b.cache, "_metadata")):
            if n.startswith("index.db"):
                os.unlink(os.path.join(b.cache, "_metadata", n))
        self.mock.reset()
        b.start()
        self.assertEqual(sorted(os.listdir(b.mnt)), ["AAPL", "BTCUSDT", "MSFT", "_metadata"])
        for rel in files:
            self.assertIn(os.path.basename(rel), os.listdir(b.path(os.path.dirname(rel))))
            self.assertEqual(os.stat(b.path(rel)).st_size, len(seen[rel]), f"size of {rel}")
            self.assertEqual(b.read(rel), seen[rel], f"{rel} from the copied cache")
            self.assertEqual(b.read(rel[: -len(".csv.gz")] + ".metadata.json"), sides[rel])
        self.assertEqual(self.mock.log(), [], "a copied cache caused downloads")

    def check_damage_refetched(self, damage, while_mounted):
        m = self.mount()
        m.expect_error(r"(?i)sha256|sidecar|damaged|corrupt")
        rel = "AAPL/1d/2024.csv.gz"
        good = m.read(rel)
        good_other = m.read("AAPL/1d/2023.csv.gz")
        if not while_mounted:
            self.assertEqual(m.umount(), 0)
        damage(m, rel)
        if not while_mounted:
            m.start()
        self.mock.reset()
        again = m.read(rel)
        self.assertEqual(again, good, "the damaged file was served instead of fetched again")
        self.assertCsvEqual(again, expected.expected_csv("yahoo", "AAPL", "1d", 2024), rel)
        self.assertGreaterEqual(len(self.mock.requests(symbol="AAPL")), 1, "no re-fetch")
        with open(m.cache_path(rel), "rb") as fh:
            self.assertEqual(fh.read(), good, "the cache was not repaired")
        self.assertEqual(m.sidecar(rel)["file_info"]["sha256"], sha256(good))
        self.assertEqual(m.read("AAPL/1d/2023.csv.gz"), good_other)
        return m

    @staticmethod
    def flip_byte(m, rel):
        with open(m.cache_path(rel), "r+b") as fh:
            data = fh.read()
            fh.seek(len(data) // 2)
            fh.write(bytes([data[len(data) // 2] ^ 0x40]))

    def test_corrupted_data_file_is_refetched(self):
        m = self.check_damage_refetched(self.flip_byte, while_mounted=False)
        self.assertTrue([l for l in m.log_text().splitlines() if "sha256" in l and "2024" in l],
                        "the log does not report the checksum mismatch")

    def test_data_file_damaged_behind_the_daemons_back(self):
        self.check_damage_refetched(self.flip_byte, while_mounted=True)

    def test_damaged_sidecar_is_refetched(self):
        def cut_sidecar(m, rel):
            p = m.cache_path(rel[: -len(".csv.gz")] + ".metadata.json")
            with open(p, "r+b") as fh:
                n = len(fh.read())
                fh.truncate(n // 2)
        self.check_damage_refetched(cut_sidecar, while_mounted=False)


if __name__ == "__main__":
    harness.main()
