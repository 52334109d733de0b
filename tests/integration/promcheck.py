#!/usr/bin/python3
"""A small checker of the Prometheus text exposition format, version 0.0.4
(https://prometheus.io/docs/instrumenting/exposition_formats/), as read by
node_exporter's textfile collector and by a scrape.

    /usr/bin/python3 promcheck.py FILE...      # prints the problems; exit 1 if any

    import promcheck
    problems = promcheck.check(text)           # [] when the text is valid
    samples = promcheck.parse(text)            # {(name, (("label", "value"), ...)): float}

What is checked:
  - the text is UTF-8 and ends with a newline; lines are separated by '\\n' only;
  - '# HELP name text' and '# TYPE name type' come before the first sample of
    their family, at most once each per name, and (strict, the default)
    every family has both; TYPE is one of counter, gauge, summary, histogram,
    untyped; HELP text escapes only '\\\\' and '\\n';
  - metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
    [a-zA-Z_][a-zA-Z0-9_]* and do not start with '__'; a label appears once
    per sample; label values are double-quoted and escape only '\\\\', '\\"'
    and '\\n' (no raw newline);
  - values are floats (Go's ParseFloat: digits, exponents, NaN, +Inf, -Inf);
    an optional timestamp is an integer (milliseconds);
  - the samples of a family are contiguous (a family is not split by another
    family's samples); summary and histogram samples use only name, name_sum,
    name_count and (histogram) name_bucket with an 'le' label, (summary)
    'quantile' labels;
  - no series (name plus label set) appears twice;
  - counters are named *_total (the convention, and OpenMetrics' rule), and
    their values are not negative.
"""

import math
import re
import sys

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TYPES = ("counter", "gauge", "summary", "histogram", "untyped")
FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)\Z")
SPECIAL = {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf, "Inf": math.inf}
TIMESTAMP = re.compile(r"-?\d+\Z")


class ParseError(Exception):
    pass


def parse_float(s):
    if s in SPECIAL:
        return SPECIAL[s]
    if not FLOAT.match(s):
        raise ParseError(f"value {s!r} is not a float")
    return float(s)


def _parse_labels(s, i):
    """s[i] is '{'. Returns (labels as a tuple of pairs, index after '}')."""
    labels = []
    seen = set()
    i += 1
    n = len(s)
    while True:
        while i < n and s[i] in " \t":
            i += 1
        if i < n and s[i] == "}":
            return tuple(labels), i + 1
        m = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*").match(s, i)
        if not m:
            raise ParseError(f"bad label name at column {i + 1}")
        name = m.group(0)
        if name.startswith("__"):
            raise ParseError(f"label name {name!r} is reserved (starts with '__')")
        if name in seen:
            raise ParseError(f"label {name!r} appears twice")
        seen.add(name)
        i = m.end()
        while i < n and s[i] in " \t":
            i += 1
        if i >= n or s[i] != "=":
            raise ParseError(f"expected '=' after label {name!r}")
        i += 1
        while i < n and s[i] in " \t":
            i += 1
        if i >= n or s[i] != '"':
            raise ParseError(f"label {name!r}: value is not double-quoted")
        i += 1
        val = []
        while True:
            if i >= n:
                raise ParseError(f"label {name!r}: unterminated value")
            c = s[i]
            if c == "\\":
                if i + 1 >= n or s[i + 1] not in '\\"n':
                    raise ParseError(f"label {name!r}: bad escape {s[i:i + 2]!r}")
                val.append({"\\": "\\", '"': '"', "n": "\n"}[s[i + 1]])
                i += 2
                continue
            if c == '"':
                i += 1
                break
            val.append(c)
            i += 1
        labels.append((name, "".join(val)))
        while i < n and s[i] in " \t":
            i += 1
        if i < n and s[i] == ",":
            i += 1
            continue
        if i < n and s[i] == "}":
            return tuple(labels), i + 1
        raise ParseError(f"expected ',' or '}}' after label {name!r}")


def parse_sample(line):
    """'name{a="b"} 1.5 [ts]' -> (name, labels, value, timestamp or None)."""
    m = re.compile(r"[^{ \t]+").match(line)
    if not m:
        raise ParseError("no metric name")
    name = m.group(0)
    if not METRIC_NAME.match(name):
        raise ParseError(f"invalid metric name {name!r}")
    i = m.end()
    labels = ()
    if i < len(line) and line[i] == "{":
        labels, i = _parse_labels(line, i)
    rest = line[i:]
    if not rest or rest[0] not in " \t":
        raise ParseError("no blank between the series and its value")
    parts = rest.split()
    if len(parts) not in (1, 2):
        raise ParseError(f"expected 'value [timestamp]', got {rest.strip()!r}")
    value = parse_float(parts[0])
    ts = None
    if len(parts) == 2:
        if not TIMESTAMP.match(parts[1]):
            raise ParseError(f"timestamp {parts[1]!r} is not an integer")
        ts = int(parts[1])
    return name, labels, value, ts


def _family_of(name, types):
    """The family a sample name belongs to (summary/histogram suffixes)."""
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            if types.get(base) in ("summary", "histogram"):
                if suffix == "_bucket" and types[base] != "histogram":
                    return name
                return base
    return name


def check(text, strict=True):
    """Every problem found in text, as 'line N: message' strings ([] if valid)."""
    problems = []
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            return [f"not UTF-8: {e}"]
    if text and not text.endswith("\n"):
        problems.append("the text does not end with a newline")
    if "\r" in text:
        problems.append("carriage return in the text (lines end with \\n only)")
    types, helps = {}, {}
    sampled = set()        # families that already have samples
    closed = set()         # families whose samples ended (another family followed)
    current = None         # family of the previous sample
    series = {}

    def bad(n, msg):
        problems.append(f"line {n}: {msg}")

    for n, line in enumerate(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"), 1):
        if line.strip() == "":
            continue
        if line.startswith("#"):
            parts = line[1:].strip().split(None, 2)
            if len(parts) >= 2 and parts[0] in ("HELP", "TYPE"):
                kw, name = parts[0], parts[1]
                arg = parts[2] if len(parts) > 2 else ""
                if not METRIC_NAME.match(name):
                    bad(n, f"{kw} for an invalid metric name {name!r}")
                    continue
                if name in sampled:
                    bad(n, f"{kw} {name} after samples of that family")
                if kw == "TYPE":
                    if name in types:
                        bad(n, f"second TYPE line for {name}")
                    if arg not in TYPES:
                        bad(n, f"TYPE {name}: {arg!r} is not one of {', '.join(TYPES)}")
                    types[name] = arg
                else:
                    if name in helps:
                        bad(n, f"second HELP line for {name}")
                    if re.search(r"\\[^\\n]|\\$", arg):
                        bad(n, f"HELP {name}: bad escape in the text")
                    helps[name] = arg
            continue  # other comments are allowed
        try:
            name, labels, value, _ts = parse_sample(line)
        except ParseError as e:
            bad(n, f"{e}: {line!r}")
            continue
        fam = _family_of(name, types)
        ftype = types.get(fam, "untyped")
        if fam != current:
            if fam in closed or fam in sampled:
                bad(n, f"samples of {fam} are not contiguous")
            if current is not None:
                closed.add(current)
            current = fam
        sampled.add(fam)
        if strict and fam not in types:
            bad(n, f"sample of {fam} without a TYPE line before it")
        if strict and fam not in helps:
            bad(n, f"sample of {fam} without a HELP line before it")
        if ftype == "histogram":
            if name == fam:
                bad(n, f"histogram {fam}: sample without _bucket/_sum/_count")
            if name.endswith("_bucket") and "le" not in dict(labels):
                bad(n, f"histogram bucket {name} without an 'le' label")
        if ftype == "summary" and name == fam and "quantile" not in dict(labels):
            bad(n, f"summary {fam}: a quantile sample without a 'quantile' label")
        if ftype == "counter":
            if not name.endswith("_total"):
                bad(n, f"counter {name} is not named *_total")
            if not math.isnan(value) and value < 0:
                bad(n, f"counter {name} is negative ({value})")
        key = (name, tuple(sorted(labels)))
        if key in series:
            bad(n, f"duplicate series {name}{dict(labels)} (first on line {series[key]})")
        else:
            series[key] = n
    for name in types:
        if strict and name not in helps:
            problems.append(f"TYPE {name} without a HELP line")
    return problems


def parse(text):
    """{(name, sorted label pairs): value} of a valid text (raises ParseError)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    out = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, labels, value, _ = parse_sample(line)
        out[(name, tuple(sorted(labels)))] = value
    return out


def value(samples, name, **labels):
    """One series' value from parse()'s result, or None."""
    return samples.get((name, tuple(sorted(labels.items()))))


def _selftest():
    good = ('# HELP a_total Things.\n# TYPE a_total counter\na_total{x="1"} 3\n'
            'a_total{x="2\\"\\\\\\n"} 4 1700000000000\n'
            '# HELP g A gauge.\n# TYPE g gauge\ng NaN\ng{y="z"} -Inf\ng{y="w"} 1.5e-3\n'
            '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\n'
            'h_sum 3\nh_count 2\n')
    assert check(good) == [], check(good)
    assert value(parse(good), "a_total", x='2"\\\n') == 4
    bads = [
        "# TYPE a counter\n# HELP a x\na 1\n",                     # counter without _total
        "# HELP a x\n# TYPE a gauge\na 1",                         # no final newline
        "# HELP a x\n# TYPE a gauge\na{b=\"c\"} 1\na{b=\"c\"} 2\n",  # duplicate series
        "# HELP a x\n# TYPE a gauge\na one\n",                     # not a float
        "# HELP a x\n# TYPE a gauge\na{b=\"\\x\"} 1\n",            # bad escape
        "# HELP a x\n# TYPE a gauge\na{1b=\"c\"} 1\n",             # bad label name
        "# HELP a x\n# TYPE a gauge\na{__b=\"c\"} 1\n",            # reserved label name
        "# HELP 1a x\n# TYPE 1a gauge\n1a 1\n",                    # bad metric name
        "# HELP a x\n# TYPE a gauges\na 1\n",                      # bad type
        "a 1\n# HELP a x\n# TYPE a gauge\n",                       # TYPE after samples
        "# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na{c=\"d\"} 2\n",
        "# HELP a x\n# TYPE a gauge\na{b=\"c\",b=\"d\"} 1\n",      # label twice
        "# HELP a x\n# TYPE a gauge\na{b=\"c} 1\n",                # unterminated
        "# HELP a x\n# TYPE a gauge\na 1 12.5\n",                  # float timestamp
        "# HELP a x\n# TYPE a gauge\n# TYPE a gauge\na 1\n",       # TYPE twice
        "# TYPE a gauge\na 1\n",                                   # no HELP
    ]
    for b in bads:
        assert check(b), f"accepted: {b!r}"


def main(argv):
    if len(argv) < 2:
        _selftest()
        print("promcheck self-test passed")
        return 0
    rc = 0
    for path in argv[1:]:
        with open(path, "rb") as fh:
            problems = check(fh.read())
        for p in problems:
            print(f"{path}: {p}")
        rc |= bool(problems)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
