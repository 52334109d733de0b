"""Shared helpers for the marketfs integration tests.

Every test gets its own mock provider server (Mock) and its own mount
(Mount) in a fresh directory under /tmp, so test files and tests can run in
parallel. Nothing talks to anything but 127.0.0.1.

    class TestX(harness.MarketfsTest):
        def test_something(self):
            m = self.mount()                       # config from defaults
            data = m.read("AAPL/1d/2024.csv.gz")   # bytes through FUSE
            self.assertEqual(harness.gunzip_text(data),
                             expected.expected_csv("yahoo", "AAPL", "1d", 2024))
            self.assertEqual(len(self.mock.requests(symbol="AAPL")), 1)

Environment:
    MARKETFS_BIN   the daemon (default: <src>/build/fs/marketfs)
    MARKETFS_SRC   the source tree (default: two levels above this file)
    MARKETFS_KEEP  set to 1 to keep each test's temp directory (logs, cache)

Cleanup is registered with addCleanup() as soon as a resource exists, so it
runs even when a test fails or times out: the daemon is unmounted
(fusermount3 -u, then -uz as a last resort) and killed, the mock is stopped.
After a clean unmount the daemon's log is checked for sanitizer reports,
crashes and error-level lines the test did not declare as expected.
"""

import errno
import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("MARKETFS_SRC") or os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("MARKETFS_BIN") or os.path.join(SRC, "build", "fs", "marketfs")
MOCK = os.path.join(SRC, "tests", "mock", "mockprovider.py")
PYTHON = "/usr/bin/python3"
KEEP = os.environ.get("MARKETFS_KEEP") == "1"

sys.path.insert(0, HERE)
import expected  # noqa: E402  (the oracle, tests/integration/expected.py)

# Lines that must never appear in the daemon's stderr or log file.
FATAL_PATTERNS = ("AddressSanitizer", "LeakSanitizer", "ThreadSanitizer",
                  "UndefinedBehaviorSanitizer", "runtime error", "Segmentation", "double free",
                  "stack smashing")
# An error-level line of our log format: "<time> marketfs[<pid>]: error: <msg>".
ERROR_LINE = re.compile(r"marketfs\[\d+\]: (?:err|error): (.*)")

# No proxy, ever: the mock is on 127.0.0.1 and nothing else may be contacted.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def current_year():
    return datetime.now(timezone.utc).year


def year_start(year):
    return int(datetime(year, 1, 1, tzinfo=timezone.utc).timestamp())


def parse_iso(s):
    """'2024-01-02T14:30:00Z' -> epoch seconds."""
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def gunzip_text(data):
    """Decompress a whole .csv.gz (fails loudly if the gzip stream is bad)."""
    return gzip.decompress(data).decode("utf-8")


def wait_for(pred, timeout, interval=0.05, what="condition"):
    """Poll pred() until it returns a true value; returns it, or raises."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def diff_summary(got, want, limit=5):
    """A short human-readable difference between two CSV texts."""
    g, w = got.splitlines(), want.splitlines()
    out = [f"got {len(g)} lines, expected {len(w)}"]
    for i, (a, b) in enumerate(zip(g, w)):
        if a != b:
            out.append(f"line {i + 1}: got {a!r}, expected {b!r}")
            if len(out) > limit:
                break
    if len(g) != len(w):
        tail = g[len(w):] if len(g) > len(w) else w[len(g):]
        out.append(f"{'extra' if len(g) > len(w) else 'missing'} lines start with {tail[:3]!r}")
    return "\n".join(out)


def in_mount_table(path):
    """Is path a mount point in /proc/self/mounts (spaces are escaped as \\040)?"""
    want = os.path.realpath(path).replace(" ", "\\040")
    with open("/proc/self/mounts") as fh:
        return any(line.split()[1] == want for line in fh)


class TestTimeout(Exception):
    """Raised by SIGALRM when a test runs longer than its limit."""


# ---------------------------------------------------------------- mock provider
class Mock:
    """The mock provider server (tests/mock/mockprovider.py) on a free port."""

    def __init__(self, workdir):
        self.workdir = workdir
        port_file = os.path.join(workdir, "mock.port")
        self.stderr_path = os.path.join(workdir, "mock.stderr")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([PYTHON, MOCK, "--port", "0", "--port-file", port_file],
                                     stdin=subprocess.DEVNULL, stdout=self._stderr,
                                     stderr=self._stderr)

        def port_ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"mock provider exited with {self.proc.returncode}: "
                                     f"{self.stderr_text()}")
            try:
                with open(port_file) as fh:
                    return int(fh.read().strip())
            except (OSError, ValueError):
                return None
        self.port = wait_for(port_ready, 15, what="the mock's port file")
        self.url = f"http://127.0.0.1:{self.port}"

        def healthy():
            try:
                return self._call("GET", "/_control/health").get("ok")
            except OSError:
                return False
        wait_for(healthy, 15, what="the mock's /_control/health")

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with _opener.open(req, timeout=10) as r:
            return json.loads(r.read())

    def fault(self, mode, provider="*", count=1, **kw):
        """Queue a fault: mode 500|429|418|451|stall|truncate|malformed|granularity|slow,
        count (-1 = until reset), retry_after, delay_ms, stall_s, path_contains."""
        spec = {"mode": str(mode), "provider": provider, "count": count}
        spec.update(kw)
        reply = self._call("POST", "/_control/fault", spec)
        assert reply.get("ok"), reply
        return reply["fault"]

    def log(self):
        """Every provider request so far: [{ts, provider, path, query, status, fault}]."""
        return self._call("GET", "/_control/log")

    def reset(self):
        """Clear the log and the faults; release stalled requests."""
        self._call("POST", "/_control/reset", {})

    def requests(self, provider=None, symbol=None, interval=None, path_prefix=None):
        """The logged data requests, filtered. symbol matches Yahoo's path symbol or
        Binance's symbol= parameter."""
        out = []
        for e in self.log():
            if provider and e["provider"] != provider:
                continue
            if path_prefix and not e["path"].startswith(path_prefix):
                continue
            if symbol:
                ysym = e["path"].rsplit("/", 1)[-1] if e["path"].startswith("/v8/") else None
                if symbol not in (ysym, e["query"].get("symbol")):
                    continue
            if interval and e["query"].get("interval") != interval:
                continue
            out.append(e)
        return out

    def stderr_text(self):
        try:
            with open(self.stderr_path, errors="replace") as fh:
                return fh.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()
        if "Traceback" in self.stderr_text():  # a bug in the mock, not in marketfs
            raise AssertionError(f"the mock provider reported an error:\n{self.stderr_text()[-2000:]}")


# ---------------------------------------------------------------- the daemon
class Mount:
    """One marketfs daemon mounted at <dir>/mnt with cache <dir>/cache.

    config / yahoo / binance: keys that override the defaults of the
    [marketfs], [provider.yahoo] and [provider.binance] sections (a value of
    None removes the key). providers: more sections, {"fmp": {"base_url":
    ..., "api_key": ...}, ...} written as [provider.fmp] etc. after those two
    (a config that holds an api_key must be made 0600 by the caller before
    start()). rules: the [rules] section; the default keeps every class on
    Yahoo (crypto on Binance), as the tests written before failover expect;
    {} writes no [rules] (the built-in defaults). symbols: the [symbols]
    section. env: extra environment variables for the daemon, e.g.
    {"MARKETFS_FMP_KEY": "..."}. options: extra -o options. source: a SOURCE
    argument placed before the mount point.
    """

    DEFAULTS = {"fetch_timeout": "20", "negative_ttl": "3600", "max_age": "0",
                "history_start": "2000", "max_parallel_fetches": "4"}
    RULES = {"stock.*": "yahoo", "index.*": "yahoo", "forex.*": "yahoo", "futures.*": "yahoo",
             "crypto.*": "binance"}

    def __init__(self, mock, workdir=None, config=None, yahoo=None, binance=None,
                 options=(), source=None, cache_dir=None, providers=None, env=None, rules=None,
                 symbols=None):
        self.mock = mock
        self.dir = workdir or tempfile.mkdtemp(prefix="marketfs-it-", dir="/tmp")
        self.mnt = os.path.join(self.dir, "mnt")
        self.cache = cache_dir or os.path.join(self.dir, "cache")
        self.conf = os.path.join(self.dir, "marketfs.conf")
        self.log_path = os.path.join(self.dir, "marketfs.log")
        self.stderr_path = os.path.join(self.dir, "marketfs.stderr")
        os.makedirs(self.mnt, exist_ok=True)
        os.makedirs(self.cache, exist_ok=True)
        self.config = dict(self.DEFAULTS, **(config or {}))
        self.yahoo = dict({"base_url": mock.url, "rate_limit": "600/60s"}, **(yahoo or {}))
        self.binance = dict({"base_url": mock.url}, **(binance or {}))
        self.providers = {k: dict(v) for k, v in (providers or {}).items()}
        self.rules = dict(self.RULES if rules is None else rules)
        self.symbols = dict(symbols or {})
        assert not {"yahoo", "binance"} & set(self.providers), "use yahoo= / binance="
        self.env = dict(env or {})
        self.options = list(options)
        self.source = source
        self.proc = None
        self._stderr = None
        self.allowed_errors = []   # regexes of error-level log lines a test expects
        self.killed = False        # kill9() used: the exit status is not checked
        self.write_config()

    # -- configuration
    def write_config(self):
        def section(name, keys):
            lines = [f"[{name}]"]
            lines += [f"{k} = {v}" for k, v in keys.items() if v is not None]
            return "\n".join(lines) + "\n"
        text = section("marketfs", dict({"cache_dir": self.cache}, **self.config))
        text += "\n" + section("provider.yahoo", self.yahoo)
        text += "\n" + section("provider.binance", self.binance)
        for name, keys in self.providers.items():
            text += "\n" + section(f"provider.{name}", keys)
        if self.rules:
            text += "\n" + section("rules", self.rules)
        if self.symbols:
            text += "\n" + section("symbols", self.symbols)
        with open(self.conf, "w") as fh:
            fh.write(text)

    def argv(self):
        opts = [f"config={self.conf}", f"log={self.log_path}", "log_level=debug"] + self.options
        args = [BIN] + ([self.source] if self.source else []) + [self.mnt, "-f", "-o", ",".join(opts)]
        return args

    # -- life cycle
    def start(self, timeout=15):
        """Start the daemon and wait until the mount point is a mount."""
        assert self.proc is None or self.proc.poll() is not None, "daemon already running"
        self.killed = False
        self._stderr = open(self.stderr_path, "ab")
        env = dict(os.environ, **self.env) if self.env else None
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                     stdout=self._stderr, stderr=self._stderr, env=env)

        def mounted():
            if self.proc.poll() is not None:
                raise AssertionError(f"marketfs exited with {self.proc.returncode} before "
                                     f"mounting; stderr:\n{self.stderr_text()[-3000:]}")
            return os.path.ismount(self.mnt) and in_mount_table(self.mnt)
        wait_for(mounted, timeout, interval=0.02, what=f"the mount at {self.mnt}")
        return self

    def is_mounted(self):
        """True while the kernel has a mount at mnt, even a dead one (a killed
        daemon's mount fails stat with ENOTCONN, so os.path.ismount says no)."""
        return in_mount_table(self.mnt)

    def umount(self, timeout=15):
        """Clean unmount with fusermount3 -u; returns the daemon's exit status."""
        deadline = time.monotonic() + timeout
        while self.is_mounted():
            r = subprocess.run(["fusermount3", "-u", self.mnt], capture_output=True, text=True)
            if r.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"fusermount3 -u {self.mnt} failed: {r.stderr.strip()}")
            time.sleep(0.1)  # busy: a reader still holds a file open
        return self.wait_exit(max(1, deadline - time.monotonic()))

    def wait_exit(self, timeout=15):
        if self.proc is None:
            return None
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"marketfs did not exit within {timeout:.0f} s (killed)")
        if self._stderr:
            self._stderr.close()
            self._stderr = None
        return rc

    def kill9(self):
        """SIGKILL the daemon (a crash), then detach the dead mount (-uz)."""
        self.killed = True
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        subprocess.run(["fusermount3", "-uz", self.mnt], capture_output=True)
        if self._stderr:
            self._stderr.close()
            self._stderr = None
        wait_for(lambda: not self.is_mounted(), 5, what="the dead mount to go")

    def restart(self):
        """Unmount cleanly (checking the log so far) and mount again on the same cache."""
        rc = self.umount()
        if rc != 0:
            raise AssertionError(f"marketfs exited with status {rc} on unmount")
        self.check_log()
        return self.start()

    def cleanup(self, test_failed=False):
        """Always called: unmount (lazily if need be), stop the daemon, check its log."""
        problems = []
        rc = None
        if self.proc and self.proc.poll() is None:
            try:
                rc = self.umount(timeout=10)
            except AssertionError as e:
                problems.append(str(e))
        elif self.proc:
            rc = self.proc.returncode
        if self.is_mounted():
            subprocess.run(["fusermount3", "-uz", self.mnt], capture_output=True)
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self._stderr:
            self._stderr.close()
            self._stderr = None
        if not self.killed and rc not in (None, 0):
            problems.append(f"marketfs exited with status {rc} after unmount")
        try:
            self.check_log()
        except AssertionError as e:
            problems.append(str(e))
        if problems:
            msg = "; ".join(problems) + f" (logs in {self.dir})"
            if test_failed:  # the test already failed: say it, but do not pile on
                print(f"\nalso: {msg}", file=sys.stderr)
            else:
                raise AssertionError(msg)

    def remove_dir(self):
        if KEEP or self.is_mounted():
            return  # never rm -r through a live mount
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- logs
    def log_text(self):
        """The daemon's log file plus its stderr (messages before the log opened)."""
        out = []
        for p in (self.stderr_path, self.log_path):
            try:
                with open(p, errors="replace") as fh:
                    out.append(fh.read())
            except OSError:
                pass
        return "\n".join(out)

    def stderr_text(self):
        try:
            with open(self.stderr_path, errors="replace") as fh:
                return fh.read()
        except OSError:
            return ""

    def expect_error(self, regex):
        """Declare that an error-level log line matching regex is expected."""
        self.allowed_errors.append(re.compile(regex))

    def check_log(self):
        text = self.log_text()
        for line in text.splitlines():
            for pat in FATAL_PATTERNS:
                if pat in line:
                    raise AssertionError(f"daemon log/stderr contains {pat!r}: {line}")
            m = ERROR_LINE.search(line)
            if m and not any(p.search(m.group(1)) for p in self.allowed_errors):
                raise AssertionError(f"unexpected error-level line in the daemon log: {line}")

    def wait_log(self, regex, timeout=10):
        """Wait until the log has a line matching regex; returns the match."""
        pat = re.compile(regex)
        return wait_for(lambda: pat.search(self.log_text()), timeout,
                        what=f"a log line matching {regex!r}")

    # -- files
    def path(self, rel):
        return os.path.join(self.mnt, rel)

    def cache_path(self, rel):
        return os.path.join(self.cache, rel)

    def read(self, rel):
        with open(self.path(rel), "rb") as fh:
            return fh.read()

    def sidecar(self, rel):
        """Parsed YEAR.metadata.json through the mount (rel: ".../YEAR.csv.gz" or the .json)."""
        if rel.endswith(".csv.gz"):
            rel = rel[: -len(".csv.gz")] + ".metadata.json"
        with open(self.path(rel)) as fh:
            return json.load(fh)

    def cached_sidecar(self, rel):
        """Parsed sidecar straight from the cache directory (no FUSE)."""
        if rel.endswith(".csv.gz"):
            rel = rel[: -len(".csv.gz")] + ".metadata.json"
        with open(self.cache_path(rel)) as fh:
            return json.load(fh)


# ---------------------------------------------------------------- base test case
class MarketfsTest(unittest.TestCase):
    """Base class: a per-test Mock, a per-test alarm, and mount() with cleanup."""

    TIMEOUT = 90  # seconds per test (signal.alarm)

    def setUp(self):
        if not os.access(BIN, os.X_OK):
            self.fail(f"marketfs binary not found at {BIN} (set MARKETFS_BIN)")

        def on_alarm(signum, frame):
            raise TestTimeout(f"{self.id()} did not finish within {self.TIMEOUT} s")
        signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(self.TIMEOUT)
        self.addCleanup(signal.alarm, 0)  # registered first: runs last
        self.workdir = tempfile.mkdtemp(prefix="marketfs-it-", dir="/tmp")
        self.addCleanup(self._remove_workdir)
        self.mock = Mock(self.workdir)
        self.addCleanup(self.mock.stop)
        self.mounts = []

    def _remove_workdir(self):
        if KEEP or any(m.is_mounted() for m in self.mounts):
            return
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _failed(self):
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return False
        result = getattr(outcome, "result", None)
        errs = list(getattr(result, "errors", [])) + list(getattr(result, "failures", []))
        return any(t is self for t, _ in errs) or not getattr(outcome, "success", True)

    def popen(self, argv, **kw):
        """subprocess.Popen that is killed and reaped when the test ends."""
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.Popen(argv, **kw)

        def reap():
            if p.poll() is None:
                p.kill()
            try:
                p.communicate(timeout=10)
            except (subprocess.TimeoutExpired, ValueError):
                pass
        self.addCleanup(reap)
        return p

    def mount(self, start=True, name=None, **kw):
        """A Mount in this test's directory (name: sub-directory for a second one)."""
        d = os.path.join(self.workdir, name or f"m{len(self.mounts)}")
        os.makedirs(d, exist_ok=True)
        m = Mount(self.mock, workdir=d, **kw)
        self.mounts.append(m)
        self.addCleanup(lambda: m.cleanup(test_failed=self._failed()))
        if start:
            m.start()
        return m

    # -- assertions shared by the test files
    def assertCsvEqual(self, data, want, what):
        got = gunzip_text(data)
        if got != want:
            self.fail(f"{what}: content differs from the oracle:\n{diff_summary(got, want)}")

    def assertOracle(self, data, provider, symbol, tf, year, nows, what=None):
        """data (gzip bytes) must equal expected_csv at one of the candidate fetch
        times in nows (the daemon's and the oracle's clocks differ a little)."""
        what = what or f"{symbol}/{tf}/{year}.csv.gz"
        got = gunzip_text(data)
        wants = []
        for now in nows:
            w = expected.expected_csv(provider, symbol, tf, year, now=now)
            if got == w:
                return
            wants.append(w)
        self.fail(f"{what}: content matches the oracle at none of the fetch times "
                  f"{[round(n, 1) for n in nows]}:\n{diff_summary(got, wants[-1])}")

    def assertErrno(self, err_no, fn, *args, what=""):
        with self.assertRaises(OSError, msg=f"{what}: expected {errno.errorcode[err_no]}") as cm:
            fn(*args)
        self.assertEqual(cm.exception.errno, err_no,
                         f"{what}: expected {errno.errorcode[err_no]}, got "
                         f"{errno.errorcode.get(cm.exception.errno, cm.exception.errno)} "
                         f"({cm.exception})")
        return cm.exception


def fetch_times(sidecar, t0, t1):
    """Candidate 'now' values of a fetch: the sidecar's last_updated (the daemon's
    clock, whole seconds) and the wall-clock window around the read."""
    nows = []
    if sidecar and sidecar.get("last_updated"):
        lu = parse_iso(sidecar["last_updated"])
        nows += [lu, lu + 0.999]
    nows += [t0 - 2, t1 + 2]
    return nows


def main():
    unittest.main(verbosity=2)
