#!/usr/bin/python3
"""Every configuration key of the code is documented, and nothing else.

    /usr/bin/python3 tests/man/check_keys.py [SOURCE_ROOT]

The keys are the first string of each entry of the key tables of
fs/config.c: global_keys ([marketfs]) and provider_keys ([provider.NAME]).

docs/man/marketfs.conf.5 must list exactly those keys, each once, in the right
section: the .TP items of the section whose .SH title names [marketfs],
and of the one that names [provider.NAME] (up to the next .SH or .SS), the
key being the first word of the .B/.BI/.BR line that follows the .TP.

docs/configuration.md must have a table row whose first cell is the key
in backquotes (| `cache_dir` | ...) under the ## heading that names its
section. Only that direction is checked there: the page has other tables.

Prints what is missing or unknown, per file and section, and exits 1 on
any difference (2 if a file cannot be read or parsed).
"""
import pathlib
import re
import sys

SECTIONS = {"global": "[marketfs]", "provider": "[provider.NAME]"}
TABLES = {"global": "global_keys", "provider": "provider_keys"}


class ParseError(Exception):
    pass


def code_keys(path):
    """{section: [key, ...]} from the key tables of fs/config.c."""
    text = path.read_text()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)  # comments
    text = re.sub(r"//[^\n]*", " ", text)
    keys = {}
    for section, table in TABLES.items():
        m = re.search(r"\bstruct\s+key_desc\s+" + table + r"\s*\[\s*\]\s*=\s*\{(.*?)\}\s*;",
                      text, re.S)
        if not m:
            raise ParseError(f"{path}: no table 'struct key_desc {table}[]' found")
        names = re.findall(r"\{\s*\"([^\"]*)\"", m.group(1))
        if not names:
            raise ParseError(f"{path}: no key found in {table}[]")
        keys[section] = names
    return keys


def roff_args(line):
    """The arguments of a roff macro line, with quotes and escapes removed."""
    args = re.findall(r'"((?:[^"]|"")*)"|(\S+)', line.split(None, 1)[1] if " " in line else "")
    out = []
    for quoted, bare in args:
        word = quoted if quoted or not bare else bare
        word = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", word)  # font changes
        word = word.replace("\\-", "-").replace("\\&", "").replace("\\%", "")
        out.append(word)
    return out


def man_keys(path):
    """{section: [key, ...]} from the key lists of marketfs.conf(5)."""
    keys = {s: [] for s in SECTIONS}
    problems = []
    section = None
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith(".SH"):
            title = " ".join(roff_args(line))
            section = None
            if "[marketfs]" in title:
                section = "global"
            elif "[provider." in title:
                section = "provider"
            continue
        if line.startswith(".SS"):
            section = None
            continue
        if section is None or not re.match(r"\.TP\b", line):
            continue
        j = i + 1
        while j < len(lines) and lines[j].startswith('.\\"'):
            j += 1
        tag = lines[j] if j < len(lines) else ""
        args = roff_args(tag) if re.match(r"\.(B|BI|BR)\s", tag) else []
        m = re.match(r"([a-z0-9_]+)", args[0].strip()) if args else None
        if not m:
            problems.append(f"{path}:{j + 1}: a .TP item of the {SECTIONS[section]} list "
                            f"that does not start with a key in bold: {tag!r}")
            continue
        keys[section].append(m.group(1))
    for section in SECTIONS:
        if not keys[section]:
            problems.append(f"{path}: no .TP key list found for {SECTIONS[section]} "
                            "(a .SH whose title names it)")
    return keys, problems


def doc_keys(path):
    """{section: set of keys} from the tables of docs/configuration.md."""
    keys = {s: set() for s in SECTIONS}
    section = None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            section = None
            if "[marketfs]" in line:
                section = "global"
            elif "[provider." in line:
                section = "provider"
            continue
        m = re.match(r"\|\s*`([a-z0-9_]+)`\s*\|", line)
        if section and m:
            keys[section].add(m.group(1))
    return keys


def main():
    root = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else \
        pathlib.Path(__file__).resolve().parents[2]
    config_c = root / "fs" / "config.c"
    man = root / "docs" / "man" / "marketfs.conf.5"
    doc = root / "docs" / "configuration.md"
    try:
        code = code_keys(config_c)
        documented, problems = man_keys(man)
        in_doc = doc_keys(doc)
    except (OSError, ParseError) as e:
        print(f"check_keys: {e}")
        return 2

    rel = lambda p: p.relative_to(root) if p.is_relative_to(root) else p
    for section, name in SECTIONS.items():
        want = code[section]
        have = documented[section]
        missing = [k for k in want if k not in have]
        unknown = sorted(set(have) - set(want))
        twice = sorted({k for k in have if have.count(k) > 1})
        if missing:
            problems.append(f"{rel(man)} {name}: not documented (in {TABLES[section]} "
                            f"of {rel(config_c)}): " + ", ".join(missing))
        if unknown:
            where = [s for s in SECTIONS if s != section and set(unknown) & set(code[s])]
            hint = f" (a key of {SECTIONS[where[0]]}?)" if where else ""
            problems.append(f"{rel(man)} {name}: documented but not in {TABLES[section]} "
                            f"of {rel(config_c)}{hint}: " + ", ".join(unknown))
        if twice:
            problems.append(f"{rel(man)} {name}: documented twice: " + ", ".join(twice))
        missing_doc = [k for k in want if k not in in_doc[section]]
        if missing_doc:
            problems.append(f"{rel(doc)} {name}: no table row | `KEY` | under the ## heading "
                            f"of {name} for: " + ", ".join(missing_doc))

    if problems:
        print("configuration keys and their documentation differ:")
        for p in problems:
            print("  " + p)
        for section, name in SECTIONS.items():
            print(f"  {rel(config_c)} {name}: " + " ".join(code[section]))
        return 1
    for section, name in SECTIONS.items():
        print(f"ok: {len(code[section])} {name} keys of {rel(config_c)} are in "
              f"{rel(man)} and {rel(doc)}, and {rel(man)} lists no other")
    return 0


if __name__ == "__main__":
    sys.exit(main())
