#!/usr/bin/python3
"""Fundamentals, metadata and status files through the mount (docs/files.md,
docs/configuration.md, SPEC sections 1, 2 and 8):

  - SYMBOL/fundamentals/: one snapshot per provider (FMP, Yahoo, Alpha
    Vantage, Polygon, Tiingo against the mock), normalised as documented,
    with raw; combined.json merges them field by field in
    fundamentals_priority order with sources and per-field as_of, refreshes
    after fundamentals_ttl (older snapshots removed), survives one or all
    providers failing, and exists only for stocks and ETFs;
  - Yahoo's cookie + crumb flow, including a rotated crumb;
  - _metadata/status.json (in-flight fetches, recent errors),
    providers.json (health, last_error), metrics (Prometheus text format,
    checked by promcheck.py, counters that move), info.json, symbols.json,
    quality_scores.json: every generated file parses with cat, json.load, jq
    and rsync, fstat of an open file equals the bytes read, and reading them
    never sends a provider request (except combined.json's refresh);
  - API keys from the environment or a 0600 config never appear in the
    cache, the generated files or the log; a config holding a key with mode
    0644 is refused with "chmod 600".

The expected fundamentals are computed here from the mock's truth
(tests/mock/fundamentals.py) with the normalisation of docs/files.md and the
provider notes in providers/fund_*.c.
"""

import datetime
import errno
import json
import math
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time

import harness
import promcheck

sys.path.insert(0, os.path.join(harness.SRC, "tests", "mock"))
import fundamentals as F  # noqa: E402

FUND_PROVIDERS = ["fmp", "yahoo", "alphavantage", "polygon", "tiingo"]
KEYED = ["fmp", "alphavantage", "polygon", "tiingo"]
FIELDS = ["symbol", "name", "exchange", "currency", "sector", "industry", "market_cap",
          "shares_outstanding", "float_shares", "pe_ratio", "eps", "dividend_yield", "beta",
          "fifty_two_week_high", "fifty_two_week_low", "description", "website", "as_of"]
MERGED = [f for f in FIELDS if f not in ("symbol", "as_of")]
# distinctive keys: "SeCrEt" is grepped for too, so that no part of one leaks
KEYS = {"fmp": "SeCrEtFmP1234", "alphavantage": "SeCrEtAlPhA5678",
        "polygon": "SeCrEtPoLy9012", "tiingo": "SeCrEtTiInGo3456"}
SNAP_RE = re.compile(r"^(fmp|yahoo|alphavantage|polygon|tiingo)_(\d{8})_(\d{6})\.json$")
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
META_FILES = ["quality_scores.json", "symbols.json", "providers.json", "status.json", "metrics"]
OLD = "20200101_000000"
OLDER = "20190101_000000"


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def snap_time(name):
    m = SNAP_RE.match(name)
    return datetime.datetime.strptime(m.group(2) + m.group(3), "%Y%m%d%H%M%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()


# ------------------------------------------------------------ the normalisation
def _s(v):
    """A text field: '', 'None', '-', 'N/A' are nothing."""
    if v is None or not isinstance(v, str) or v.strip() in ("", "None", "none", "null", "-",
                                                           "N/A", "NA"):
        return None
    return v


def _n(v, positive=False):
    """A number field from a number or a numeric string."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, str):
        if _s(v) is None:
            return None
        try:
            v = float(v)
        except ValueError:
            return None
    if not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    if positive and v <= 0:
        return None
    return v


def _date(d):
    """'2025-03-31' or '2026-11-20T00:00:00.000Z' -> '...T00:00:00Z'."""
    return d[:10] + "T00:00:00Z" if d else None


def expected_fields(provider, symbol, now=None):
    """The common fields (without symbol) that the provider's snapshot must
    hold, from the mock's truth; None if the provider has nothing. as_of is
    None where the provider has no date of its own (then: the fetch time)."""
    t = F.truth(provider, symbol, now)
    if t is None:
        return None
    e = dict.fromkeys(FIELDS[1:])
    if provider == "fmp":
        e.update(name=_s(t.get("companyName")), exchange=_s(t.get("exchange")),
                 currency=_s(t.get("currency")), sector=_s(t.get("sector")),
                 industry=_s(t.get("industry")), market_cap=_n(t.get("marketCap")),
                 beta=_n(t.get("beta")), description=_s(t.get("description")),
                 website=_s(t.get("website")),
                 pe_ratio=_n(t.get("priceToEarningsRatioTTM")),
                 dividend_yield=_n(t.get("dividendYieldTTM")),
                 eps=_n(t.get("netIncomePerShareTTM")),
                 shares_outstanding=_n(t.get("outstandingShares")),
                 float_shares=_n(t.get("floatShares")))
        if t.get("range"):
            lo, hi = (float(x) for x in t["range"].split("-"))
            e.update(fifty_two_week_low=min(lo, hi), fifty_two_week_high=max(lo, hi))
        if e["float_shares"] is None and e["shares_outstanding"] and _n(t.get("freeFloat")):
            e["float_shares"] = round(e["shares_outstanding"] * t["freeFloat"] / 100.0)
    elif provider == "yahoo":
        e.update(name=_s(t.get("longName")) or _s(t.get("shortName")),
                 exchange=_s(t.get("exchangeName")) or _s(t.get("exchange")),
                 currency=_s(t.get("currency")), sector=_s(t.get("sector")),
                 industry=_s(t.get("industry")), market_cap=_n(t.get("marketCap")),
                 shares_outstanding=_n(t.get("sharesOutstanding")),
                 float_shares=_n(t.get("floatShares")), pe_ratio=_n(t.get("trailingPE")),
                 eps=_n(t.get("trailingEps")), dividend_yield=_n(t.get("dividendYield")),
                 beta=_n(t.get("beta")), fifty_two_week_high=_n(t.get("fiftyTwoWeekHigh")),
                 fifty_two_week_low=_n(t.get("fiftyTwoWeekLow")),
                 description=_s(t.get("longBusinessSummary")), website=_s(t.get("website")))
        if t.get("regularMarketTime"):
            e["as_of"] = iso(t["regularMarketTime"])
    elif provider == "alphavantage":
        e.update(name=_s(t.get("Name")), exchange=_s(t.get("Exchange")),
                 currency=_s(t.get("Currency")), sector=_s(t.get("Sector")),
                 industry=_s(t.get("Industry")),
                 market_cap=_n(t.get("MarketCapitalization"), True),
                 shares_outstanding=_n(t.get("SharesOutstanding"), True),
                 float_shares=_n(t.get("SharesFloat"), True),
                 pe_ratio=_n(t.get("PERatio"), True), eps=_n(t.get("EPS")),
                 dividend_yield=_n(t.get("DividendYield")), beta=_n(t.get("Beta")),
                 fifty_two_week_high=_n(t.get("52WeekHigh"), True),
                 fifty_two_week_low=_n(t.get("52WeekLow"), True),
                 description=_s(t.get("Description")), website=_s(t.get("OfficialSite")),
                 as_of=_date(t.get("LatestQuarter")))
    elif provider == "polygon":
        shares = t.get("share_class_shares_outstanding")
        if not isinstance(shares, (int, float)):
            shares = t.get("weighted_shares_outstanding")
        e.update(name=_s(t.get("name")), exchange=_s(t.get("primary_exchange")),
                 currency=(t.get("currency_name") or "").upper() or None,
                 industry=_s(t.get("sic_description")), market_cap=_n(t.get("market_cap")),
                 shares_outstanding=_n(shares), description=_s(t.get("description")),
                 website=_s(t.get("homepage_url")))
    elif provider == "tiingo":
        e.update(name=_s(t.get("name")), exchange=_s(t.get("exchangeCode")),
                 description=_s(t.get("description")), market_cap=_n(t.get("marketCap")),
                 pe_ratio=_n(t.get("peRatio")), as_of=_date(t.get("date")))
    return e


def expected_all(symbol, providers=FUND_PROVIDERS, now=None):
    return {p: expected_fields(p, symbol, now) for p in providers}


def snapshot_as_of(snap):
    return snap.get("as_of") or snap.get("fetched_at")


def expected_merge(exp, snaps, priority):
    """{field: (value, source, as_of)} of combined.json. exp: the expected
    fields per provider (None: it failed or knows nothing); snaps: the
    daemon's snapshots (for the fetch-time as_of)."""
    out = {}
    for f in MERGED:
        out[f] = (None, None, None)
        for p in priority:
            if exp.get(p) and exp[p].get(f) is not None:
                out[f] = (exp[p][f], p, snapshot_as_of(snaps[p]))
                break
    return out


def unclocked(doc):
    """A generated document without its generation time (it moves every second)."""
    if isinstance(doc, dict):
        doc = {k: v for k, v in doc.items() if k != "generated_at"}
    return doc


def tools_env():
    return dict(os.environ, LC_ALL="C")


# ------------------------------------------------------------ the tests
class FilesTest(harness.MarketfsTest):

    # -- helpers
    def provider_sections(self, keys):
        sections = {}
        for p in KEYED:
            sec = {"base_url": self.mock.url, "rate_limit": "600/60s"}
            if keys == "config":
                sec["api_key"] = KEYS[p]
            sections[p] = sec
        return sections

    def fund_mount(self, name=None, keys="env", config=None, env=None, start=True,
                   sections=None):
        """A mount with every fundamentals provider on the mock. keys: "env"
        (MARKETFS_<NAME>_KEY), "config" (api_key in a 0600 file) or None."""
        e = {f"MARKETFS_{p.upper()}_KEY": KEYS[p] for p in KEYED} if keys == "env" else {}
        e.update(env or {})
        m = self.mount(start=False, name=name, config=config,
                       yahoo={"cookie_url": self.mock.url},
                       providers=sections or self.provider_sections(keys), env=e)
        if keys == "config":
            os.chmod(m.conf, 0o600)
        if start:
            m.start()
        return m

    def jread(self, m, rel):
        with open(m.path(rel), "rb") as fh:
            data = fh.read()
        try:
            return json.loads(data)
        except ValueError as e:
            self.fail(f"{rel} does not parse as JSON ({e}): {data[:300]!r}")

    def combined(self, m, symbol="AAPL"):
        return self.jread(m, f"{symbol}/fundamentals/combined.json")

    def snapshot_names(self, m, symbol="AAPL", where="mount"):
        d = m.path(f"{symbol}/fundamentals") if where == "mount" else \
            m.cache_path(f"{symbol}/fundamentals")
        names = sorted(n for n in os.listdir(d) if not n.startswith("."))
        out = {}
        for n in names:
            if n == "combined.json":
                continue
            mt = SNAP_RE.match(n)
            self.assertTrue(mt, f"{d}: unexpected entry {n!r}")
            self.assertNotIn(mt.group(1), out, f"{d}: two snapshots of {mt.group(1)}: {names}")
            out[mt.group(1)] = n
        return out

    def load_snaps(self, m, symbol="AAPL"):
        return {p: self.jread(m, f"{symbol}/fundamentals/{n}")
                for p, n in self.snapshot_names(m, symbol).items()}

    def assertValue(self, got, want, what):
        if isinstance(want, (int, float)) and not isinstance(want, bool):
            self.assertTrue(isinstance(got, (int, float)) and not isinstance(got, bool),
                            f"{what}: expected the number {want!r}, got {got!r}")
            self.assertTrue(math.isclose(got, want, rel_tol=1e-9),
                            f"{what}: expected {want!r}, got {got!r}")
        else:
            self.assertEqual(got, want, what)

    def assertSnapshot(self, snap, provider, symbol, exp, t0, t1, name):
        what = f"{symbol} {name}"
        for k in FIELDS + ["provider", "fetched_at", "raw"]:
            self.assertIn(k, snap, f"{what}: no {k!r}")
        self.assertEqual(snap["symbol"], symbol, what)
        self.assertEqual(snap["provider"], provider, what)
        self.assertRegex(snap["fetched_at"], ISO_RE, what)
        ft = harness.parse_iso(snap["fetched_at"])
        self.assertTrue(t0 - 2 <= ft <= t1 + 2, f"{what}: fetched_at {snap['fetched_at']} "
                        f"outside the fetch window")
        self.assertEqual(ft, snap_time(name), f"{what}: the name's time is not fetched_at")
        self.assertIsInstance(snap["raw"], dict, f"{what}: raw is not the provider's object")
        self.assertTrue(snap["raw"], f"{what}: raw is empty")
        for f in FIELDS[1:-1]:
            self.assertValue(snap[f], exp[f], f"{what}: {f}")
        if exp["as_of"]:
            self.assertEqual(snap["as_of"], exp["as_of"], f"{what}: as_of (the provider's date)")
        else:
            self.assertEqual(snap["as_of"], snap["fetched_at"],
                             f"{what}: as_of without a provider date is the fetch time")

    def assertCombined(self, comb, want, symbol, snaps, priority):
        self.assertEqual(comb["symbol"], symbol)
        for k in ("sources", "as_of", "snapshots", "stale_after", "generated_at"):
            self.assertIn(k, comb, f"combined.json has no {k!r}")
        self.assertNotIn("raw", comb)
        for f in MERGED:
            value, src, at = want[f]
            self.assertValue(comb[f], value, f"combined.json {f}")
            self.assertEqual(comb["sources"].get(f), src, f"combined.json sources.{f}")
            self.assertEqual(comb["as_of"].get(f), at, f"combined.json as_of.{f}")
        listed = [(s["provider"], s["snapshot"]) for s in comb["snapshots"]]
        names = self.snapshot_names_from(snaps)
        self.assertEqual(listed, [(p, names[p]) for p in priority if p in snaps],
                         "combined.json snapshots: the snapshots used, in priority order")
        newest = max(harness.parse_iso(s["fetched_at"]) for s in snaps.values())
        return newest

    @staticmethod
    def snapshot_names_from(snaps):
        out = {}
        for p, s in snaps.items():
            t = harness.parse_iso(s["fetched_at"])
            out[p] = f"{p}_{datetime.datetime.fromtimestamp(t, datetime.timezone.utc):%Y%m%d_%H%M%S}.json"
        return out

    def age_snapshots(self, m, symbol="AAPL", stamp=OLD, older_copy=False):
        """Make every snapshot look old by renaming it in the cache directory."""
        d = m.cache_path(f"{symbol}/fundamentals")
        for n in os.listdir(d):
            mt = SNAP_RE.match(n)
            if not mt:
                continue
            new = os.path.join(d, f"{mt.group(1)}_{stamp}.json")
            os.rename(os.path.join(d, n), new)
            if older_copy:
                shutil.copyfile(new, os.path.join(d, f"{mt.group(1)}_{OLDER}.json"))

    def requests_by_provider(self, log=None):
        out = {}
        for e in (self.mock.log() if log is None else log):
            out[e["provider"]] = out.get(e["provider"], 0) + 1
        return out

    def status(self, m):
        return self.jread(m, "_metadata/status.json")

    def provider_info(self, m, name):
        doc = self.jread(m, "_metadata/providers.json")
        return next(p for p in doc["providers"] if p["name"] == name)

    # ---------------------------------------------------------------- 1
    def test_combined_merges_five_providers(self):
        m = self.fund_mount()
        # listing fundamentals/ before anything is fetched: combined.json only, no request
        self.assertIn("fundamentals", os.listdir(m.path("AAPL")))
        self.assertEqual(os.listdir(m.path("AAPL/fundamentals")), ["combined.json"])
        self.assertEqual(self.mock.log(), [], "listing fundamentals/ asked a provider")
        info = self.jread(m, "AAPL/info.json")
        self.assertEqual(info["fundamentals_providers"], FUND_PROVIDERS)

        t0 = time.time()
        comb = self.combined(m)
        t1 = time.time()
        log = self.mock.log()
        counts = self.requests_by_provider(log)
        self.assertEqual(counts.get("fmp"), 3, "FMP: profile, ratios-ttm, shares-float")
        self.assertEqual(counts.get("alphavantage"), 1)
        self.assertEqual(counts.get("polygon"), 1)
        self.assertEqual(counts.get("tiingo"), 2, "Tiingo: meta and fundamentals daily")
        ypaths = [e["path"] for e in log if e["provider"] == "yahoo"]
        self.assertEqual(ypaths.count("/v1/test/getcrumb"), 1, ypaths)
        self.assertEqual(ypaths.count("/v10/finance/quoteSummary/AAPL"), 1, ypaths)
        self.assertTrue(all(e["status"] == 200 for e in log if e["path"] != "/"),
                        [(e["path"], e["status"]) for e in log])

        # one snapshot per provider, listed, with the normalised fields and raw
        self.mock.reset()
        names = self.snapshot_names(m)
        self.assertEqual(sorted(names), sorted(FUND_PROVIDERS))
        self.assertEqual(sorted(os.listdir(m.path("AAPL/fundamentals"))),
                         sorted(list(names.values()) + ["combined.json"]))
        self.assertEqual(self.snapshot_names(m, where="cache"), names)
        exp = expected_all("AAPL", now=t1)
        snaps = {}
        for p, n in names.items():
            snaps[p] = self.jread(m, f"AAPL/fundamentals/{n}")
            self.assertSnapshot(snaps[p], p, "AAPL", exp[p], t0, t1, n)
            st = os.stat(m.path(f"AAPL/fundamentals/{n}"))
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o444, n)
            self.assertEqual(st.st_size, os.path.getsize(m.cache_path(f"AAPL/fundamentals/{n}")))
        # raw is the provider's own answer (a few of its fields)
        self.assertEqual(snaps["fmp"]["raw"]["profile"]["companyName"], "Apple Inc.")
        self.assertEqual(snaps["alphavantage"]["raw"]["Sector"], "TECHNOLOGY")
        self.assertEqual(snaps["polygon"]["raw"]["primary_exchange"], "XNAS")

        # the merge: FMP first; a field FMP lacks (eps) from Yahoo; per-field as_of
        want = expected_merge(exp, snaps, FUND_PROVIDERS)
        self.assertEqual(want["eps"][1], "yahoo", "test premise: FMP has no eps for AAPL")
        newest = self.assertCombined(comb, want, "AAPL", snaps, FUND_PROVIDERS)
        self.assertEqual(comb["sources"]["name"], "fmp")
        self.assertEqual(comb["sector"], "Technology")
        self.assertEqual(comb["as_of"]["eps"], "2025-06-13T20:00:00Z")  # Yahoo's market time
        self.assertEqual(comb["stale_after"], iso(newest + 7 * 86400))
        self.assertRegex(comb["generated_at"], ISO_RE)
        # listing again, stat, reading a snapshot: no request (the snapshots are fresh)
        os.listdir(m.path("AAPL/fundamentals"))
        self.combined(m)
        self.assertEqual(self.mock.log(), [], "ls / fresh combined.json asked a provider")

    # ---------------------------------------------------------------- 2
    def test_priority_override(self):
        m = self.fund_mount(config={"fundamentals_priority": "polygon, yahoo"})
        self.assertEqual(self.jread(m, "AAPL/info.json")["fundamentals_providers"],
                         ["polygon", "yahoo"])
        t0 = time.time()
        comb = self.combined(m)
        t1 = time.time()
        counts = self.requests_by_provider()
        for p in ("fmp", "alphavantage", "tiingo"):
            self.assertNotIn(p, counts, f"{p} is not in fundamentals_priority but was asked")
        self.assertEqual(counts.get("polygon"), 1)
        names = self.snapshot_names(m)
        self.assertEqual(sorted(names), ["polygon", "yahoo"])
        snaps = self.load_snaps(m)
        exp = expected_all("AAPL", ["polygon", "yahoo"], now=t1)
        for p in names:
            self.assertSnapshot(snaps[p], p, "AAPL", exp[p], t0, t1, names[p])
        want = expected_merge(exp, snaps, ["polygon", "yahoo"])
        self.assertCombined(comb, want, "AAPL", snaps, ["polygon", "yahoo"])
        self.assertEqual(comb["sources"]["name"], "polygon")
        self.assertEqual(comb["sources"]["market_cap"], "polygon")
        self.assertEqual(comb["exchange"], "XNAS")
        self.assertEqual(comb["sources"]["sector"], "yahoo")  # Polygon has no sector
        self.assertEqual(comb["sources"]["pe_ratio"], "yahoo")
        self.assertEqual(set(comb["sources"].values()) - {None}, {"polygon", "yahoo"})

    def test_snapshot_numbers_are_exact(self):
        """A snapshot's numbers are the provider's, not rounded: Polygon's
        market_cap 2934781262318.38 and Tiingo's 2927731876672.44 keep every
        digit in the common field, in raw and in combined.json."""
        m = self.fund_mount(config={"fundamentals_priority": "polygon, tiingo"})
        t1 = time.time()
        comb = self.combined(m)
        snaps = self.load_snaps(m)
        poly = F.truth("polygon", "AAPL")
        tiingo = F.truth("tiingo", "AAPL", t1)
        self.assertEqual(snaps["polygon"]["raw"], poly,
                         "polygon raw is not the provider's results object")
        self.assertEqual(snaps["polygon"]["market_cap"], poly["market_cap"])
        self.assertEqual(snaps["tiingo"]["market_cap"], tiingo["marketCap"])
        self.assertEqual(comb["market_cap"], poly["market_cap"])

    # ---------------------------------------------------------------- 3
    def test_ttl_refresh_removes_older_snapshots_and_all_failing_serves_old(self):
        m = self.fund_mount(config={"fundamentals_ttl": "60s"})
        first = self.combined(m)
        names1 = self.snapshot_names(m)
        self.assertEqual(len(names1), 5)
        newest = max(snap_time(n) for n in names1.values())
        self.assertEqual(first["stale_after"], iso(newest + 60))
        # within the TTL: no request
        self.mock.reset()
        again = self.combined(m)
        self.assertEqual(self.mock.log(), [], "combined.json within the TTL asked a provider")
        self.assertEqual(again["sources"], first["sources"])

        # stale: every snapshot renamed to 2020 (plus an even older copy)
        self.age_snapshots(m, older_copy=True)
        self.assertEqual(len(os.listdir(m.cache_path("AAPL/fundamentals"))), 10)
        listed = self.snapshot_names(m)  # the newest per provider; listing never fetches
        self.assertEqual(listed, {p: f"{p}_{OLD}.json" for p in FUND_PROVIDERS})
        os.stat(m.path("AAPL/fundamentals/combined.json"))  # stat never fetches either
        self.assertEqual(self.mock.log(), [], "listing stale fundamentals asked a provider")
        t0 = time.time()
        comb = self.combined(m)
        t1 = time.time()
        counts = self.requests_by_provider()
        for p in FUND_PROVIDERS:
            self.assertIn(p, counts, f"the refresh did not ask {p}")
        # exactly one file per provider remains, the new one
        left = sorted(os.listdir(m.cache_path("AAPL/fundamentals")))
        self.assertEqual(len(left), 5, f"older snapshots not removed: {left}")
        names2 = self.snapshot_names(m, where="cache")
        self.assertEqual(sorted(names2), sorted(FUND_PROVIDERS))
        for p, n in names2.items():
            self.assertTrue(t0 - 2 <= snap_time(n) <= t1 + 2, f"{n} is not the refresh's")
        self.assertEqual(self.snapshot_names(m), names2)
        self.assertErrno(errno.ENOENT, os.stat, m.path(f"AAPL/fundamentals/fmp_{OLD}.json"),
                         what="a removed older snapshot")
        self.assertEqual([s["snapshot"] for s in comb["snapshots"]],
                         [names2[p] for p in FUND_PROVIDERS])
        snaps = self.load_snaps(m)
        want = expected_merge(expected_all("AAPL", now=t1), snaps, FUND_PROVIDERS)
        self.assertCombined(comb, want, "AAPL", snaps, FUND_PROVIDERS)

        # stale again and every provider failing: the older snapshots are served
        self.age_snapshots(m)
        self.mock.reset()
        self.mock.fault("malformed", provider="*", count=-1)
        t2 = time.time()
        stale = self.combined(m)
        self.assertTrue(self.mock.log(), "the stale snapshots were not refreshed")
        self.assertEqual([s["snapshot"] for s in stale["snapshots"]],
                         [f"{p}_{OLD}.json" for p in FUND_PROVIDERS])
        for f in MERGED:
            self.assertEqual(stale[f], comb[f], f"served old {f}")
            self.assertEqual(stale["sources"][f], comb["sources"][f], f)
        self.assertEqual(stale["stale_after"], iso(snap_time(f"fmp_{OLD}.json") + 60))
        self.assertEqual(sorted(os.listdir(m.cache_path("AAPL/fundamentals"))),
                         sorted(f"{p}_{OLD}.json" for p in FUND_PROVIDERS))
        errs = [e for e in self.status(m)["recent_errors"]
                if e["symbol"] == "AAPL" and harness.parse_iso(e["at"]) >= t2 - 1]
        # newest first: the providers were asked in priority order
        self.assertEqual([e["provider"] for e in errs], FUND_PROVIDERS[::-1], errs)
        for e in errs:
            self.assertEqual(e["what"], "fundamentals", e)
            self.assertIsNone(e["timeframe"], e)
            self.assertIsNone(e["year"], e)

    def test_refresh_forgets_replaced_snapshot_names(self):
        """After a refresh replaced fmp_OLD.json, the old name is gone for stat
        too, even when it was looked up (and cached by the kernel) before."""
        m = self.fund_mount(config={"fundamentals_priority": "fmp"})
        self.combined(m)
        self.age_snapshots(m)
        old = m.path(f"AAPL/fundamentals/fmp_{OLD}.json")
        self.assertGreater(os.stat(old).st_size, 0)
        with open(old, "rb") as fh:
            fh.read()
        self.combined(m)  # the refresh stores a new snapshot and removes fmp_OLD
        self.assertEqual(sorted(os.listdir(m.cache_path("AAPL/fundamentals"))),
                         sorted(self.snapshot_names(m, where="cache").values()))
        self.assertNotIn(f"fmp_{OLD}.json", os.listdir(m.path("AAPL/fundamentals")))
        self.assertErrno(errno.ENOENT, os.stat, old, what="stat of a replaced snapshot")
        self.assertErrno(errno.ENOENT, open, old, "rb", what="open of a replaced snapshot")

    # ---------------------------------------------------------------- 4
    def test_one_provider_failing(self):
        m = self.fund_mount()
        self.mock.fault(500, provider="fmp", count=-1)
        t0 = time.time()
        comb = self.combined(m)
        t1 = time.time()
        fmp_reqs = [e for e in self.mock.log() if e["provider"] == "fmp"]
        self.assertEqual([e["status"] for e in fmp_reqs], [500, 500, 500],
                         "FMP's profile tried three times")
        names = self.snapshot_names(m)
        self.assertEqual(sorted(names), sorted(p for p in FUND_PROVIDERS if p != "fmp"))
        snaps = self.load_snaps(m)
        exp = expected_all("AAPL", now=t1)
        exp["fmp"] = None
        want = expected_merge(exp, snaps, FUND_PROVIDERS)
        self.assertCombined(comb, want, "AAPL", snaps, FUND_PROVIDERS)
        self.assertNotIn("fmp", comb["sources"].values())
        self.assertEqual(comb["sources"]["name"], "yahoo")
        self.assertEqual(comb["sources"]["shares_outstanding"], "yahoo")

        errs = [e for e in self.status(m)["recent_errors"] if e["provider"] == "fmp"]
        self.assertTrue(errs, "no recent error from fmp in status.json")
        e = errs[0]
        self.assertEqual(e["symbol"], "AAPL")
        self.assertEqual(e["what"], "fundamentals")
        self.assertEqual(e["error"], "server_error")
        self.assertIsNone(e["timeframe"])
        self.assertIsNone(e["year"])
        self.assertTrue(t0 - 2 <= harness.parse_iso(e["at"]) <= t1 + 2, e)
        self.assertTrue(e["reason"], e)
        self.assertNotIn(KEYS["fmp"], json.dumps(e))

        fmp = self.provider_info(m, "fmp")
        self.assertEqual(fmp["health"], "failing", fmp)
        self.assertTrue(fmp["needs_key"] and fmp["has_key"] and fmp["usable"], fmp)
        self.assertEqual(fmp["successes"], 0, fmp)
        self.assertGreaterEqual(fmp["errors"], 1, fmp)
        self.assertEqual(fmp["requests"], 3, fmp)
        self.assertTrue(fmp["last_error"], fmp)
        self.assertNotIn("SeCrEt", fmp["last_error"])
        self.assertNotIn("SeCrEt", json.dumps(fmp))
        self.assertIsNotNone(fmp["last_error_at"])
        for p in ("yahoo", "alphavantage", "polygon", "tiingo"):
            self.assertEqual(self.provider_info(m, p)["health"], "ok", p)
        self.assertEqual(self.provider_info(m, "binance")["health"], "unknown")

    def test_health_follows_the_last_fetch(self):
        """providers.json health is "failing" (and metrics' provider_up 0) when the
        provider's LAST fetch failed, even when it succeeded earlier in the same
        second."""
        m = self.fund_mount(config={"fundamentals_priority": "alphavantage"})
        # start just after a second boundary, so both fetches share one second
        harness.wait_for(lambda: time.time() % 1.0 < 0.2, 2, interval=0.01,
                         what="a second boundary")
        t0 = time.time()
        self.combined(m)  # success
        self.age_snapshots(m)
        self.mock.fault("information", provider="alphavantage", count=1)
        stale = self.combined(m)  # failure: the older snapshot is served
        took = time.time() - t0
        self.assertEqual([s["snapshot"] for s in stale["snapshots"]], [f"alphavantage_{OLD}.json"])
        av = self.provider_info(m, "alphavantage")
        self.assertEqual((av["successes"], av["errors"]), (1, 1), av)
        self.assertEqual(av["health"], "failing",
                         f"the last fetch failed ({took:.2f} s after the success, "
                         f"last_success {av['last_success']}, last_error_at "
                         f"{av['last_error_at']}): {av}")
        samples = promcheck.parse(m.read("_metadata/metrics"))
        self.assertEqual(promcheck.value(samples, "marketfs_provider_up",
                                         provider="alphavantage"), 0)

    # ---------------------------------------------------------------- 5
    def test_yahoo_crumb_rotation_etf_unknown_and_crypto(self):
        m = self.fund_mount()
        self.combined(m)
        y0 = [e for e in self.mock.log() if e["provider"] == "yahoo"]
        self.assertEqual([e["path"] for e in y0].count("/v1/test/getcrumb"), 1)
        qs = [e for e in y0 if e["path"].startswith("/v10/finance/quoteSummary/")]
        self.assertIn("crumb=Ab1%2FCd2.Ef3", qs[0]["raw_query"].replace("%2f", "%2F"))

        # the crumb rotates; the refresh gets a new one and still succeeds
        self.age_snapshots(m)
        self.mock.fault("crumb_rotate", provider="yahoo", count=1)
        t0 = time.time()
        comb = self.combined(m)
        log = self.mock.log()
        y1 = [e for e in log if e["provider"] == "yahoo"]
        self.assertEqual([e["path"] for e in y1].count("/v1/test/getcrumb"), 2,
                         [(e["path"], e["status"]) for e in y1])
        qs = [e for e in y1 if e["path"] == "/v10/finance/quoteSummary/AAPL"]
        self.assertEqual([e["status"] for e in qs], [200, 401, 200])
        self.assertIn("crumb=Rt1%2FCd2.Ef3", qs[-1]["raw_query"].replace("%2f", "%2F"))
        new_yahoo = self.snapshot_names(m)["yahoo"]
        self.assertNotEqual(new_yahoo, f"yahoo_{OLD}.json", "no new Yahoo snapshot")
        self.assertGreaterEqual(snap_time(new_yahoo), t0 - 2)
        self.assertEqual(comb["sources"]["eps"], "yahoo")

        # an ETF: partial data, no sector anywhere
        t0 = time.time()
        spy = self.combined(m, "SPY")
        t1 = time.time()
        snaps = self.load_snaps(m, "SPY")
        self.assertEqual(sorted(snaps), ["fmp", "polygon", "tiingo", "yahoo"],
                         "Alpha Vantage's OVERVIEW has nothing for an ETF")
        exp = expected_all("SPY", now=t1)
        self.assertIsNone(exp["alphavantage"])
        for p in snaps:
            self.assertSnapshot(snaps[p], p, "SPY", exp[p], t0, t1, self.snapshot_names(m, "SPY")[p])
        self.assertCombined(spy, expected_merge(exp, snaps, FUND_PROVIDERS), "SPY", snaps,
                            FUND_PROVIDERS)
        self.assertIsNone(spy["sector"])
        self.assertIsNone(spy["sources"]["sector"])
        self.assertIsNone(spy["as_of"]["sector"])
        self.assertEqual(spy["name"], "SPDR S&P 500 ETF Trust")

        # an unknown symbol: every provider asked, then ENOENT
        self.mock.reset()
        self.assertErrno(errno.ENOENT, self.combined, m, "ZZZZ", what="ZZZZ combined.json")
        asked = {e["provider"] for e in self.mock.log() if "ZZZZ" in e["path"] + e["raw_query"]}
        self.assertEqual(asked, set(FUND_PROVIDERS), "not every provider was asked about ZZZZ")
        self.assertEqual(os.listdir(m.path("ZZZZ/fundamentals")), ["combined.json"])

        # a non-stock has no fundamentals/ directory, and nothing is asked
        self.mock.reset()
        self.assertNotIn("fundamentals", os.listdir(m.path("BTCUSDT")))
        self.assertErrno(errno.ENOENT, os.stat, m.path("BTCUSDT/fundamentals"),
                         what="BTCUSDT/fundamentals")
        self.assertErrno(errno.ENOENT, open, m.path("BTCUSDT/fundamentals/combined.json"),
                         what="BTCUSDT/fundamentals/combined.json")
        self.assertEqual(self.jread(m, "BTCUSDT/info.json")["fundamentals_providers"], [])
        self.assertEqual(self.mock.log(), [])

    # ---------------------------------------------------------------- 6
    def test_status_in_flight_and_recent_errors(self):
        m = self.mount()
        st = self.status(m)
        for k in ("version", "started", "uptime_s", "offline", "cache", "in_flight", "queue",
                  "recent_errors"):
            self.assertIn(k, st)
        self.assertEqual(st["in_flight"], [])
        self.assertEqual(st["recent_errors"], [])
        for k in ("dir", "bytes", "files", "hits", "misses", "installs"):
            self.assertIn(k, st["cache"])
        self.assertEqual(st["cache"]["dir"], m.cache)

        # a slow provider: the fetch shows in in_flight while a reader waits
        self.mock.fault("slow", provider="binance", count=1, delay_ms=3000,
                        path_contains="interval=1h")
        result = {}

        def reader():
            try:
                result["data"] = m.read("BTCUSDT/1h/2023.csv.gz")
            except OSError as e:
                result["error"] = e
        th = threading.Thread(target=reader, daemon=True)
        th.start()

        def seen():
            s = self.status(m)
            return [f for f in s["in_flight"] if f["symbol"] == "BTCUSDT"] and s
        s = harness.wait_for(seen, 5, interval=0.1, what="BTCUSDT in status.json in_flight")
        f = next(f for f in s["in_flight"] if f["symbol"] == "BTCUSDT")
        self.assertEqual(f["provider"], "binance", f)
        self.assertIn("1h", f["what"], f)
        self.assertIsInstance(f["requests"], int)
        self.assertGreaterEqual(f["requests"], 0)
        self.assertGreaterEqual(f["running_s"], 0)
        self.assertLess(f["running_s"], 10)
        self.assertIsInstance(s["queue"]["foreground"], int)
        samples = promcheck.parse(m.read("_metadata/metrics"))
        self.assertGreaterEqual(promcheck.value(samples, "marketfs_fetches_in_flight"), 1)
        th.join(30)
        self.assertFalse(th.is_alive(), "the reader did not finish")
        self.assertNotIn("error", result, result.get("error"))
        self.assertTrue(result["data"])
        harness.wait_for(lambda: self.status(m)["in_flight"] == [], 5,
                         what="in_flight to empty after the fetch")

        # a failing fetch: EIO, then recent_errors[0] says what failed
        m.expect_error(r"(?i)MSFT")
        self.mock.fault(500, provider="yahoo", count=-1, path_contains="/v8/finance/chart/MSFT")
        t0 = time.time()
        self.assertErrno(errno.EIO, m.read, "MSFT/1d/2024.csv.gz", what="yahoo 500 forever")
        t1 = time.time()
        e = self.status(m)["recent_errors"][0]
        self.assertEqual(e["symbol"], "MSFT", e)
        self.assertEqual(e["timeframe"], "1d", e)
        self.assertEqual(e["year"], 2024, e)
        self.assertEqual(e["what"], "bars", e)
        self.assertEqual(e["provider"], "yahoo", e)
        self.assertEqual(e["error"], "server_error", e)
        self.assertTrue(e["reason"], e)
        self.assertTrue(t0 - 2 <= harness.parse_iso(e["at"]) <= t1 + 2, e)
        y = self.provider_info(m, "yahoo")
        self.assertEqual(y["health"], "failing", y)
        self.assertGreaterEqual(y["errors"], 1)

    # ---------------------------------------------------------------- 7
    def test_metrics_format_and_counters(self):
        m = self.fund_mount()

        def metrics():
            with open(m.path("_metadata/metrics"), "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                text = fh.read()
            self.assertEqual(size, len(text), "metrics: fstat and read disagree")
            problems = promcheck.check(text)
            self.assertEqual(problems, [], "metrics is not valid Prometheus text:\n"
                             + "\n".join(problems[:20]))
            return promcheck.parse(text), text.decode()

        s0, text = metrics()
        for fam in ("marketfs_up", "marketfs_uptime_seconds", "marketfs_cache_bytes",
                    "marketfs_cache_files", "marketfs_cache_hits_total",
                    "marketfs_cache_misses_total", "marketfs_installs_total",
                    "marketfs_fetch_errors_total", "marketfs_fetches_in_flight",
                    "marketfs_fetch_queue", "marketfs_provider_requests_total",
                    "marketfs_provider_fetches_total", "marketfs_provider_up",
                    "marketfs_provider_latency_seconds", "marketfs_provider_rate_tokens"):
            self.assertIn(f"# TYPE {fam} ", text, f"family {fam} missing")
        self.assertEqual(promcheck.value(s0, "marketfs_up"), 1)
        self.assertIsNotNone(promcheck.value(s0, "marketfs_fetch_queue", priority="foreground"))
        for p in ("yahoo", "binance") + tuple(KEYED):
            self.assertEqual(promcheck.value(s0, "marketfs_provider_requests_total", provider=p), 0)
            self.assertIsNotNone(promcheck.value(s0, "marketfs_provider_fetches_total",
                                                 provider=p, result="ok"))

        def v(s, name, **lb):
            x = promcheck.value(s, name, **lb)
            self.assertIsNotNone(x, f"no series {name}{lb}")
            return x

        # a miss: one fetch
        m.read("AAPL/1d/2024.csv.gz")
        s1, _ = metrics()
        self.assertGreater(v(s1, "marketfs_cache_misses_total"), v(s0, "marketfs_cache_misses_total"))
        self.assertGreater(v(s1, "marketfs_installs_total"), v(s0, "marketfs_installs_total"))
        self.assertEqual(v(s1, "marketfs_provider_requests_total", provider="yahoo"),
                         len(self.mock.requests(provider="yahoo")))
        self.assertGreater(v(s1, "marketfs_provider_fetches_total", provider="yahoo", result="ok"),
                           v(s0, "marketfs_provider_fetches_total", provider="yahoo", result="ok"))
        self.assertGreater(v(s1, "marketfs_cache_files"), 0)
        self.assertGreater(v(s1, "marketfs_cache_bytes"), 0)
        st = self.status(m)
        self.assertEqual(v(s1, "marketfs_cache_misses_total"), st["cache"]["misses"])
        self.assertEqual(v(s1, "marketfs_cache_files"), st["cache"]["files"])
        # a hit
        m.read("AAPL/1d/2024.csv.gz")
        s2, _ = metrics()
        self.assertGreater(v(s2, "marketfs_cache_hits_total"), v(s1, "marketfs_cache_hits_total"))
        self.assertEqual(v(s2, "marketfs_cache_misses_total"), v(s1, "marketfs_cache_misses_total"))
        # fundamentals: every provider's request counter moves, matching the mock's log
        self.mock.reset()
        self.combined(m)
        counts = self.requests_by_provider()
        s3, _ = metrics()
        for p in KEYED:
            self.assertEqual(v(s3, "marketfs_provider_requests_total", provider=p), counts[p], p)
            self.assertEqual(v(s3, "marketfs_provider_fetches_total", provider=p, result="ok"), 1, p)
            self.assertEqual(v(s3, "marketfs_provider_up", provider=p), 1, p)
        # Yahoo: getcrumb and quoteSummary count; the cookie GET goes to the cookie
        # host (fc.yahoo.com), not to the API, and is not counted
        api = [e for e in self.mock.log() if e["provider"] == "yahoo" and e["path"] != "/"]
        self.assertEqual(v(s3, "marketfs_provider_requests_total", provider="yahoo"),
                         v(s2, "marketfs_provider_requests_total", provider="yahoo") + len(api))
        # an error (a second later: test_health_follows_the_last_fetch covers the same second)
        time.sleep(1.05)
        self.mock.fault("information", provider="alphavantage", count=1)
        self.age_snapshots(m)
        self.combined(m)
        s4, _ = metrics()
        self.assertGreater(v(s4, "marketfs_fetch_errors_total"), v(s3, "marketfs_fetch_errors_total"))
        self.assertEqual(v(s4, "marketfs_provider_fetches_total", provider="alphavantage",
                           result="error"), 1)
        self.assertEqual(v(s4, "marketfs_provider_up", provider="alphavantage"), 0)
        # reading metrics asked nobody
        self.mock.reset()
        metrics()
        self.assertEqual(self.mock.log(), [])

    # ---------------------------------------------------------------- 8 + 10
    def test_generated_files_work_with_tools_and_send_no_request(self):
        m = self.fund_mount()
        m.read("AAPL/1d/2024.csv.gz")
        self.combined(m)
        self.mock.reset()
        names = self.snapshot_names(m)
        generated = [f"_metadata/{n}" for n in META_FILES] + ["AAPL/info.json",
                                                             "AAPL/fundamentals/combined.json"]
        snapshots = [f"AAPL/fundamentals/{n}" for n in names.values()]
        # sizes that do not move while nothing happens (status/providers/metrics have clocks)
        steady = {"_metadata/quality_scores.json", "_metadata/symbols.json", "AAPL/info.json",
                  "AAPL/fundamentals/combined.json"} | set(snapshots)
        jq = shutil.which("jq")
        for rel in generated + snapshots:
            path = m.path(rel)
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                data = fh.read()
            self.assertEqual(st.st_size, len(data), f"{rel}: fstat of the open file != bytes read")
            self.assertTrue(stat.S_ISREG(st.st_mode), rel)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o444, rel)
            self.assertTrue(data.endswith(b"\n"), f"{rel}: no final newline")
            if rel.endswith("metrics"):
                self.assertEqual(promcheck.check(data), [], rel)
            else:
                json.loads(data)
                with open(path) as fh:  # json.load reads until EOF in pieces
                    json.load(fh)
            if rel in steady:
                self.assertEqual(os.stat(path).st_size, len(data), f"{rel}: stat outside an open")
            # cat
            r = subprocess.run(["cat", path], capture_output=True, timeout=20)
            self.assertEqual(r.returncode, 0, f"cat {rel}: {r.stderr!r}")
            if rel.endswith("metrics"):
                self.assertEqual(promcheck.check(r.stdout), [], f"cat {rel}")
            else:
                json.loads(r.stdout)
            same = rel in steady
            if same:
                self.assertEqual(unclocked(json.loads(r.stdout)), unclocked(json.loads(data)),
                                 f"cat {rel}")
            # jq (if installed)
            if jq and rel.endswith(".json"):
                r = subprocess.run([jq, ".", path], capture_output=True, timeout=20,
                                   env=tools_env())
                self.assertEqual(r.returncode, 0, f"jq . {rel}: {r.stderr!r}")
                if same:
                    self.assertEqual(unclocked(json.loads(r.stdout)), unclocked(json.loads(data)),
                                     f"jq . {rel}")
        # python json.load in another process
        r = subprocess.run([harness.PYTHON, "-c",
                            "import json,sys\n"
                            "for p in sys.argv[1:]:\n"
                            "    json.load(open(p))\n"]
                           + [m.path(r) for r in generated + snapshots if r.endswith(".json")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        # rsync of _metadata/ and fundamentals/
        for src, want in (("_metadata/", sorted(META_FILES)),
                          ("AAPL/fundamentals/", sorted(list(names.values()) + ["combined.json"]))):
            dest = os.path.join(self.workdir, "rsync", src.strip("/").replace("/", "_"))
            os.makedirs(dest, exist_ok=True)
            r = subprocess.run(["rsync", "-a", m.path(src), dest + "/"], capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(r.returncode, 0, f"rsync {src}: {r.stderr}")
            self.assertEqual(sorted(os.listdir(dest)), want, src)
            for n in want:
                with open(os.path.join(dest, n), "rb") as fh:
                    data = fh.read()
                if n == "metrics":
                    self.assertEqual(promcheck.check(data), [], f"rsync'd {src}{n}")
                else:
                    try:
                        json.loads(data)
                    except ValueError as e:
                        self.fail(f"rsync'd {src}{n} does not parse ({e}): {data[-200:]!r}")
                if SNAP_RE.match(n):
                    self.assertEqual(data, m.read(f"AAPL/fundamentals/{n}"), n)
        # ls -l everywhere
        for d in ("", "_metadata", "AAPL", "AAPL/fundamentals", "AAPL/1d", "BTCUSDT"):
            r = subprocess.run(["ls", "-l", m.path(d)], capture_output=True, text=True,
                               timeout=20, env=tools_env())
            self.assertEqual(r.returncode, 0, f"ls -l {d}: {r.stderr}")

        # none of that sent a provider request
        self.assertEqual(self.mock.log(), [], "reading generated files asked a provider")
        # symbols.json holds AAPL's info.json
        syms = self.jread(m, "_metadata/symbols.json")
        self.assertEqual(syms["count"], len(syms["symbols"]))
        aapl = next(s for s in syms["symbols"] if s["symbol"] == "AAPL")
        self.assertEqual(aapl, self.jread(m, "AAPL/info.json"))
        self.assertEqual(aapl["class"], "stock")
        self.assertIn(2024, aapl["cached_years"]["1d"])
        # providers.json: the documented keys for each provider
        for p in self.jread(m, "_metadata/providers.json")["providers"]:
            for k in ("enabled", "needs_key", "has_key", "usable", "bars", "fundamentals",
                      "health", "requests", "successes", "errors", "success_rate",
                      "last_success", "last_error_at", "last_error", "mean_latency_ms",
                      "rate_limit"):
                self.assertIn(k, p, f"providers.json {p.get('name')}: no {k}")
            for k in ("limit", "tokens", "next_token_in_s", "retry_after_s"):
                self.assertIn(k, p["rate_limit"], p["name"])
        self.assertEqual(self.mock.log(), [])
        # the exception: a stale combined.json refreshes
        self.age_snapshots(m)
        self.combined(m)
        self.assertTrue(self.mock.log(), "stale combined.json did not refresh")

    def test_open_generated_file_keeps_its_snapshot(self):
        """One snapshot per open: a generated file opened before the state
        changes reads as it was at open, and fstat of the open file still
        gives the size of what read returns (rsync, cp and jq size their
        reads by it)."""
        m = self.mount()
        m.read("AAPL/1d/2024.csv.gz")
        path = m.path("_metadata/quality_scores.json")
        with open(path, "rb") as fh:
            before = os.fstat(fh.fileno()).st_size
            m.read("MSFT/1d/2024.csv.gz")  # the state changes: one more cached file
            data = fh.read()
            after = os.fstat(fh.fileno()).st_size
        self.assertEqual(len(data), before, "read did not return the snapshot of the open")
        self.assertNotIn("MSFT/1d/2024.csv.gz", [f["path"] for f in json.loads(data)["files"]])
        now = self.jread(m, "_metadata/quality_scores.json")
        self.assertIn("MSFT/1d/2024.csv.gz", [f["path"] for f in now["files"]])
        self.assertNotEqual(os.stat(path).st_size, before, "test premise: the size changed")
        self.assertEqual(after, len(data),
                         f"fstat of the open file gives {after} (a fresh snapshot's size), "
                         f"read returned {len(data)} bytes")

    # ---------------------------------------------------------------- 9
    def grep_secrets(self, m, secrets):
        """Every file of the cache, the generated and snapshot files through the
        mount, and the daemon log: none may hold a secret (or a part of one)."""
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
        rels = [f"_metadata/{n}" for n in META_FILES]
        for sym in ("AAPL", "MSFT"):
            rels.append(f"{sym}/info.json")
            for n in os.listdir(m.path(f"{sym}/fundamentals")):
                rels.append(f"{sym}/fundamentals/{n}")
        for rel in rels:
            scan(rel, m.read(rel))
        scan("the daemon log", m.log_text().encode())
        self.assertEqual(found, [], f"secrets leaked (logs in {m.dir})")
        return rels

    def provoke_errors_and_fetch(self, m):
        # errors: FMP 500 (tried 3 times), Polygon and Alpha Vantage rate limits,
        # Tiingo's fundamentals forbidden
        self.mock.fault(500, provider="fmp", count=3)
        self.mock.fault(429, provider="polygon", count=3)
        self.mock.fault("information", provider="alphavantage", count=1)
        self.mock.fault("fundamentals_forbidden", provider="tiingo", count=1)
        comb = self.combined(m)
        self.assertNotIn("fmp", comb["sources"].values())
        kinds = {e["provider"]: e["error"] for e in self.status(m)["recent_errors"]}
        self.assertEqual(kinds.get("fmp"), "server_error", kinds)
        self.assertEqual(kinds.get("polygon"), "rate_limited", kinds)
        self.assertEqual(kinds.get("alphavantage"), "rate_limited", kinds)
        # FMP's daily limit on another symbol
        self.mock.fault("limit", provider="fmp", count=-1, path_contains="MSFT")
        self.combined(m, "MSFT")
        self.assertEqual(self.provider_info(m, "fmp")["health"], "failing")
        # then a clean refresh of AAPL
        self.mock.reset()
        self.age_snapshots(m)
        comb = self.combined(m)
        self.assertEqual(sorted(s["provider"] for s in comb["snapshots"]), sorted(FUND_PROVIDERS))
        self.assertEqual(comb["sources"]["name"], "fmp")
        for p in KEYED:
            info = self.provider_info(m, p)
            self.assertTrue(info["has_key"] and info["needs_key"] and info["usable"], info)

    def test_secrets_never_leak(self):
        secrets = list(KEYS.values()) + ["SeCrEt"]
        # keys from the environment; a config file without keys may stay 0644
        a = self.fund_mount(name="env", keys="env")
        self.assertEqual(stat.S_IMODE(os.stat(a.conf).st_mode) & 0o044, 0o044,
                         "test premise: the key-less config is group/other readable")
        self.provoke_errors_and_fetch(a)
        fmp_keys = {e["query"].get("apikey") for e in self.mock.log() if e["provider"] == "fmp"}
        self.assertEqual(fmp_keys, {KEYS["fmp"]}, "the environment's FMP key was not used")
        self.grep_secrets(a, secrets)
        self.assertEqual(a.umount(), 0)

        # keys in a 0600 config; the environment's Tiingo key wins over the file's
        env_tiingo = "SeCrEtEnVtIiNgO777"
        self.mock.reset()
        b = self.fund_mount(name="conf", keys="config", env={"MARKETFS_TIINGO_KEY": env_tiingo})
        self.assertEqual(stat.S_IMODE(os.stat(b.conf).st_mode), 0o600)
        self.provoke_errors_and_fetch(b)
        auth = {e["headers"].get("authorization") for e in self.mock.log()
                if e["provider"] == "tiingo"}
        self.assertEqual(auth, {f"Token {env_tiingo}"},
                         "MARKETFS_TIINGO_KEY did not win over the config's api_key")
        fmp_keys = {e["query"].get("apikey") for e in self.mock.log() if e["provider"] == "fmp"}
        self.assertEqual(fmp_keys, {KEYS["fmp"]}, "the config's FMP key was not used")
        self.grep_secrets(b, secrets + [env_tiingo])

    def test_config_with_key_must_be_0600(self):
        m = self.fund_mount(keys="config", start=False)
        os.chmod(m.conf, 0o644)
        r = subprocess.run(m.argv(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=30)
        out = r.stdout + r.stderr + m.log_text()
        self.assertNotEqual(r.returncode, 0, "marketfs started with a 0644 config holding keys")
        self.assertFalse(m.is_mounted(), "mounted anyway")
        self.assertIn("chmod 600", out)
        self.assertIn(m.conf, out)
        self.assertNotIn("SeCrEt", out)
        self.assertEqual(self.mock.log(), [])
        # group-readable only (0640) is refused too; 0600 mounts
        os.chmod(m.conf, 0o640)
        r = subprocess.run(m.argv(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=30)
        self.assertNotEqual(r.returncode, 0, "marketfs started with a 0640 config holding keys")
        self.assertIn("chmod 600", r.stdout + r.stderr + m.log_text())
        self.assertFalse(m.is_mounted())
        os.chmod(m.conf, 0o600)
        m.start()
        self.assertTrue(self.provider_info(m, "fmp")["has_key"])


if __name__ == "__main__":
    harness.main()
