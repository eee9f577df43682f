"""Licence reading for build.py.

Only permissively licensed code may go into the corpus, and Debian states licences per package and per
file, in many spellings, so this decides what may be kept before any code is read.  It lives apart so
these rules can be read, and tested, on their own."""
import fnmatch
import re


PERMISSIVE = {"MIT", "MIT-0", "BSD-2-Clause", "BSD-3-Clause", "BSD-4-Clause", "BSD-like", "0BSD", "Apache-2.0",
              "Apache-1.1", "ISC", "PSF-2.0", "Zlib", "Unlicense", "CC0-1.0", "public-domain", "BSL-1.0",
              "HPND", "Unicode-DFS-2016", "Unicode-3.0", "X11", "PSF-like"}
# (regex on the lower-cased name, canonical name).  Debian writes suffixes like "BSD-3-clause~Django"
# or "PSF-baseconv" for a variant text; the family is what matters here.
LICENCE_ALIASES = [
    (r"(expat|mit|mit[-/ ]x11|mit[- ]style|mit[- ]like|mit license)([~-].*)?", "MIT"),
    (r"mit-0", "MIT-0"),
    (r"x11([~-].*)?", "X11"),
    (r"0bsd", "0BSD"),
    (r"(bsd-2|bsd-2-clause|freebsd|simplified bsd|bsd 2-clause)([~-].*)?", "BSD-2-Clause"),
    (r"(bsd-3|bsd-3-clause|new bsd|modified bsd|bsd 3-clause|go|golang)([~-].*)?", "BSD-3-Clause"),
    (r"(bsd-4|bsd-4-clause)([~-].*)?", "BSD-4-Clause"),
    (r"bsd([~ -](style|like|license|.*))?", "BSD-like"),
    (r"(apache-2\.0|apache-2|apache 2\.0|apache2|apache license 2\.0|apache license,? version 2\.0|apache)"
     r"([~-].*)?", "Apache-2.0"),
    (r"apache-1\.1([~-].*)?", "Apache-1.1"),
    (r"isc([~-].*)?", "ISC"),
    (r"(psf|psfl|psf-2|psf-2\.0|python|python-2\.0|python-2\.0\.1|psf license)([~-].*)?", "PSF-2.0"),
    (r"(zlib|zlib/libpng|zlib-acknowledgement)([~-].*)?", "Zlib"),
    (r"unlicen[sc]e", "Unlicense"),
    (r"(cc0|cc0-1\.0)([~-].*)?", "CC0-1.0"),
    (r"(public[- ]domain|pd)([~-].*)?", "public-domain"),
    (r"(bsl-1\.0|boost|boost-1\.0)", "BSL-1.0"),
    (r"hpnd([~-].*)?", "HPND"),
    (r"unicode-dfs-?2016|unicode-dfs", "Unicode-DFS-2016"),
    (r"unicode-3\.0", "Unicode-3.0"),
]


def normalise_licence(name):
    """Canonical short name for one licence (no operators).  Unknown names come back as written."""
    n = name.strip().strip("()").strip()
    low = n.lower()
    for pattern, canon in LICENCE_ALIASES:
        if re.fullmatch(pattern, low):
            return canon
    return n


def parse_licence_expr(expr):
    """Parse 'MIT or Apache-2.0', '(MIT OR Apache-2.0) AND Unicode-DFS-2016', 'BSD-3-clause and Expat'.

    Returns (canonical text, permissive?).  OR needs one permissive option, AND needs all of them;
    'X with exception' counts as X, since an exception only adds permissions."""
    tokens = re.findall(r"\(|\)|[^\s()]+", expr.replace(",", " "))
    pos = 0

    def factor():
        nonlocal pos
        if pos < len(tokens) and tokens[pos] == "(":
            pos += 1
            out = disjunction()
            if pos < len(tokens) and tokens[pos] == ")":
                pos += 1
            return "(" + out[0] + ")", out[1]
        words = []
        while pos < len(tokens) and tokens[pos] not in ("(", ")") and tokens[pos].lower() not in ("or", "and"):
            words.append(tokens[pos])
            pos += 1
        words = " ".join(words)
        words = re.split(r"\s+with\s+", words, flags=re.I)[0]
        name = normalise_licence(words) if words else "unknown"
        return name, name in PERMISSIVE

    def conjunction():
        nonlocal pos
        parts = [factor()]
        while pos < len(tokens) and tokens[pos].lower() == "and":
            pos += 1
            parts.append(factor())
        return " AND ".join(sorted({p[0] for p in parts})), all(p[1] for p in parts)

    def disjunction():
        nonlocal pos
        parts = [conjunction()]
        while pos < len(tokens) and tokens[pos].lower() == "or":
            pos += 1
            parts.append(conjunction())
        return " OR ".join(sorted({p[0] for p in parts})), any(p[1] for p in parts)

    if not expr.strip():
        return "unknown", False
    text, ok = disjunction()
    return (text[1:-1] if text.startswith("(") and text.endswith(")") and text.count("(") == 1 else text), ok


def parse_deb822(text):
    """Stanzas of a deb822 file (the DEP-5 copyright format) as dicts; continuation lines joined by newlines."""
    stanzas, cur, key = [], {}, None
    for line in text.splitlines():
        if not line.strip():
            if cur:
                stanzas.append(cur)
            cur, key = {}, None
        elif line[0] in " \t" and key:
            cur[key] += "\n" + line.strip()
        elif ":" in line and not line.startswith("#"):
            key, _, value = line.partition(":")
            key = key.strip().lower()
            cur[key] = value.strip()
    if cur:
        stanzas.append(cur)
    return stanzas


# Phrases that declare a licence in free-form copyright files; the first one found is taken to be the
# package's main licence (Python's file, for one, mentions the GPL in its history long after the PSF text).
LICENCE_PHRASES = [
    (r"python software foundation license", "PSF-2.0"),
    (r"apache license,?\s+version 2\.0", "Apache-2.0"),
    (r"permission is hereby granted,? free of charge", "MIT"),
    (r"redistribution and use in source and binary forms", "BSD-like"),
    (r"grants licensee a nonexclusive, royalty-free, world-?wide license to reproduce, analyze", "PSF-like"),
    (r"permission to use, copy, modify,? and/or distribute this software", "ISC"),
    (r"permission to use, copy, modify,? and distribute this software", "HPND"),
    (r"under the terms of the gnu (lesser|library) general public license", "LGPL"),
    (r"under the terms of the gnu general public license", "GPL"),
    (r"gnu affero general public license", "AGPL"),
    (r"mozilla public license", "MPL"),
    (r"eclipse public license", "EPL"),
    (r"common development and distribution license", "CDDL"),
]


def keyword_licence(text):
    low = re.sub(r"\s+", " ", text.lower())
    hits = []
    for pattern, name in LICENCE_PHRASES:
        m = re.search(pattern, low)
        if m:
            hits.append((m.start(), name))
    return min(hits)[1] if hits else "unknown"


def debian_licence(copyright_text):
    """(licence of the package, [(compiled path regex, licence, permissive?)] for later Files stanzas, how).

    DEP-5 rules: the last stanza whose pattern matches a file decides its licence; debian/* is packaging."""
    stanzas = parse_deb822(copyright_text)
    if not stanzas or not any("files" in s for s in stanzas) or "format" not in stanzas[0]:
        name = keyword_licence(copyright_text)
        return parse_licence_expr(name), [], "keywords"
    default, rules = None, []
    for s in stanzas:
        if "files" not in s or "license" not in s:
            continue
        patterns = s["files"].split()
        short, _, text = s["license"].partition("\n")
        if short.strip().lower() in ("", "other", "custom", "unknown") and text.strip():
            short = keyword_licence(text)  # no short name: read the licence text itself
        lic = parse_licence_expr(short)
        if patterns == ["*"]:
            default = lic
            rules = []  # a later "Files: *" would override everything before it
            continue
        patterns = [p for p in patterns if not p.startswith("debian/")]
        if patterns:
            regex = re.compile("|".join(f"(?:{fnmatch.translate(p)})|(?:{fnmatch.translate('*/' + p)})"
                                        for p in patterns))
            rules.append((regex, lic[0], lic[1]))
    if default is None:
        # No "Files: *": take the first non-packaging stanza as the package's licence.
        first = next((s for s in stanzas if "files" in s and "license" in s
                      and not s["files"].startswith("debian/")), None)
        default = parse_licence_expr(first["license"].split("\n")[0]) if first else ("unknown", False)
    return default, rules, "dep5"


def file_licence(install_path, default, rules):
    """(licence, permissive?) of one file: the last matching Files stanza, else the package's."""
    lic = default
    for regex, name, ok in rules:
        if regex.match(install_path):
            lic = (name, ok)
    return lic


def npm_licence(meta):
    lic = meta.get("license")
    if isinstance(lic, dict):
        lic = lic.get("type")
    if not lic and isinstance(meta.get("licenses"), list):
        names = [x.get("type") if isinstance(x, dict) else str(x) for x in meta["licenses"]]
        lic = " OR ".join(n for n in names if n)
    if not lic or not isinstance(lic, str) or lic.upper().startswith("SEE LICENSE"):
        return "unknown", False
    return parse_licence_expr(lic)
