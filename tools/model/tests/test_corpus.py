"""Fast checks of corpus/build.py and its modules (corpus/licences.py, corpus/filters.py,
corpus/dedup.py) on small inputs made here (no network, no apt, no npm).

  python3 -m unittest tools.model.tests.test_corpus
"""
import json
import lzma
import os
import random
import tempfile

from ..corpus import build as bc
from ..corpus.dedup import dedup
from ..corpus.filters import content_reason, path_reason, read_source, sibling_copy
from ..corpus.licences import debian_licence, file_licence, normalise_licence, npm_licence, parse_licence_expr
from .support import Checks, read, write, write_json


def fake_code(seed, n_funcs=12):
    """A plausible Python module; different seeds give files that share little beyond keywords."""
    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "node", "tree", "value", "count", "index", "buffer", "token",
             "stream", "parse", "emit", "merge", "split", "cache", "limit", "offset", "result", "queue", "frame"]
    out = [f'"""Module {seed}: helpers."""', "import os", ""]
    for i in range(n_funcs):
        a, b, c = (rng.choice(words) + str(rng.randint(0, 99)) for _ in range(3))
        out += [f"def {a}_{i}({b}, {c}=None):",
                f"    # combine {b} with {c}",
                f"    if {c} is None:",
                f"        {c} = len({b}) * {rng.randint(2, 9)}",
                f"    return [{b}[k] + {c} for k in range({rng.randint(1, 50)}) if k % {rng.randint(2, 7)}]",
                ""]
    return "\n".join(out) + "\n"


DEP5 = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: demo

Files: *
Copyright: 2020 Someone
License: {lic}

Files: debian/*
Copyright: 2021 Packager
License: GPL-2+

Files: demo/gpl_part/*
Copyright: 2019 Other
License: GPL-3+

License: {lic}
 Some text.
"""


def make_fake_cache(root):
    """Three Debian-style packages and one npm package, unpacked as fetch_all would leave them."""
    cache = os.path.join(root, "cache")
    spec = {"debian": [], "npm": ["jslib@1.0.0"], "options": {}}
    shared = fake_code(99)
    for i, (name, lic) in enumerate([("python3-aaa", "Expat"), ("python3-bbb", "BSD-3-clause"),
                                     ("python3-ccc", "MIT or Apache-2.0"), ("python3-ddd", "Apache-2.0"),
                                     ("python3-gpl", "GPL-3+")]):
        spec["debian"].append(f"{name}=1.0-{i}")
        base = os.path.join(cache, "pkgs", name)
        mod = os.path.join(base, "usr", "lib", "python3", "dist-packages", name[8:])
        os.makedirs(mod)
        os.makedirs(os.path.join(base, "usr", "share", "doc", name))
        write(os.path.join(base, "usr", "share", "doc", name, "copyright"), DEP5.format(lic=lic))
        for j in range(6):
            write(os.path.join(mod, f"m{j}.py"), fake_code(100 * i + j))
        # every package carries a lightly edited copy of one shared module
        write(os.path.join(mod, "shared.py"), shared.replace("Module 99", f"Module 99 copy {i}"))
        os.makedirs(os.path.join(mod, "numpy_compat"))
        write(os.path.join(mod, "numpy_compat", "x.py"), fake_code(7000 + i))
        with open(os.path.join(base, ".corpus-version"), "w") as f:
            f.write(f"1.0-{i}")
    js = os.path.join(cache, "pkgs", "npm+jslib")
    os.makedirs(os.path.join(js, "src"))
    os.makedirs(os.path.join(js, "dist"))
    write_json(os.path.join(js, "package.json"), {"name": "jslib", "version": "1.0.0", "license": "ISC"})
    for j in range(3):
        text = fake_code(500 + j).replace("def ", "function ").replace("#", "//")
        write(os.path.join(js, "src", f"m{j}.ts"), text)
        write(os.path.join(js, "dist", f"m{j}.js"), text)
    write(os.path.join(js, ".corpus-version"), "1.0.0")
    path = os.path.join(root, "list.json")
    write_json(path, spec)
    return cache, path


class Corpus(Checks):
    def test_licences(self):
        (lic, ok), rules, how = debian_licence(DEP5.format(lic="Expat"))
        self.check(how == "dep5" and lic == "MIT" and ok, f"DEP-5 Files: * Expat -> MIT, kept ({lic}, {ok})")
        (lic, ok), _, _ = debian_licence(DEP5.format(lic="other\n Permission is hereby granted, free of charge, to any person"))
        self.check(lic == "MIT" and ok, f"DEP-5 licence without a short name is read from its text ({lic})")
        (lic, ok), _, _ = debian_licence(DEP5.format(lic="GPL-2+"))
        self.check(not ok, f"DEP-5 Files: * GPL-2+ excluded ({lic})")
        (lic, ok), _, _ = debian_licence(DEP5.format(lic="MIT or Apache-2.0"))
        self.check(ok and lic == "Apache-2.0 OR MIT", f"disjunction 'MIT or Apache-2.0' kept ({lic})")
        self.check(parse_licence_expr("GPL-2+ or LGPL-3")[1] is False, "GPL or LGPL excluded")
        self.check(parse_licence_expr("Expat and BSD-3-clause") == ("BSD-3-Clause AND MIT", True), "conjunction of permissive kept")
        self.check(parse_licence_expr("Apache-2.0 or Expat or MIT")[0] == "Apache-2.0 OR MIT", "options deduplicated and sorted")
        self.check(parse_licence_expr("MIT and GPL-3")[1] is False, "conjunction with GPL excluded")
        self.check(parse_licence_expr("(MIT OR Apache-2.0) AND Unicode-DFS-2016")[1], "SPDX expression with parentheses")
        self.check(parse_licence_expr("Apache-2.0 WITH LLVM-exception") == ("Apache-2.0", True), "WITH exception")
        self.check(parse_licence_expr("MPL-2.0")[1] is False and parse_licence_expr("")[1] is False, "MPL and empty excluded")
        self.check(normalise_licence("BSD-3-clause~Django") == "BSD-3-Clause" and normalise_licence("Go") == "BSD-3-Clause"
                   and normalise_licence("PSF-2") == "PSF-2.0", "licence names normalised")
        _, rules, _ = debian_licence(DEP5.format(lic="Expat"))
        gpl = file_licence("usr/lib/python3/dist-packages/demo/gpl_part/x.py", ("MIT", True), rules)
        mit = file_licence("usr/lib/python3/dist-packages/demo/core.py", ("MIT", True), rules)
        self.check(gpl[1] is False and mit == ("MIT", True), "per-file stanza: a GPL file inside an MIT package is dropped")
        free = "Copyright blah.\n\nPYTHON SOFTWARE FOUNDATION LICENSE VERSION 2\n...\nonce under the terms of the GNU General Public License"
        (lic, ok), _, how = debian_licence(free)
        self.check(how == "keywords" and lic == "PSF-2.0" and ok, f"free-form copyright: first licence phrase wins ({lic})")
        self.check(npm_licence({"license": {"type": "MIT"}}) == ("MIT", True), "package.json licence object")
        self.check(npm_licence({"license": "(MIT OR GPL-3.0)"})[1], "package.json SPDX disjunction")
        self.check(not npm_licence({"license": "SEE LICENSE IN LICENSE.md"})[1], "package.json custom licence excluded")

    def test_filters(self):
        self.check(path_reason("lib/x.py") is None, "plain source kept")
        self.check(path_reason("README.md") == "extension", "non-source extension")
        self.check(path_reason("pkg/vendor/github.com/a/b.go") == "vendored_or_testdata", "vendor/ dropped")
        self.check(path_reason("pkg/third_party/x.js") == "vendored_or_testdata", "third_party/ dropped")
        self.check(path_reason("pkg/testdata/x.go") == "vendored_or_testdata", "testdata/ dropped")
        self.check(path_reason("pkg/tests/fixtures/x.py") == "vendored_or_testdata", "fixtures/ dropped")
        self.check(path_reason("pkg/tests/test_x.py") is None, "ordinary tests kept")
        self.check(path_reason("dist/app.min.js") == "minified_name", "*.min.js dropped")
        self.check(path_reason("dist/app.bundle.js") == "minified_name", "*.bundle.js dropped")
        self.check(path_reason("dist/index.js", npm_src=True) == "npm_build_copy", "npm dist/ dropped when src/ ships")
        self.check(path_reason("dist/index.js", npm_src=False) is None, "npm dist/ kept when it is all there is")
        code = fake_code(1)
        self.check(content_reason(code) is None, "ordinary code passes the content filters")
        self.check(content_reason("// Code generated by protoc-gen-go. DO NOT EDIT.\n" + code) == "generated", "Go generated header")
        self.check(content_reason("# @generated\n" + code) == "generated", "@generated")
        self.check(content_reason("# This file was auto-generated by a tool\n" + code) == "generated", "auto-generated")
        self.check(content_reason('"""A tree can be generated by passing a flag."""\n' + code) is None, "prose 'generated by' kept")
        self.check(content_reason("var a=" + "1+" * 600 + "1;\n" + code) == "minified", "line over 1000 chars")
        self.check(content_reason(("x" * 150 + "\n") * 20) == "minified", "mean line length over 120")
        parcel = "".join(f"var $1a2b3c4d5e6f7a8b$export${i}ab = require('./x{i}');\n" for i in range(5))
        self.check(content_reason(parcel + code) == "generated", "bundler-mangled names dropped")
        compiled = code + "//# sourceMappingURL=x.js.map\n"
        self.check(content_reason(compiled, ts_sources=True) == "compiled_copy", "compiled copy of shipped TS dropped")
        self.check(content_reason(compiled, ts_sources=False) is None, "source-mapped JS kept when no TS ships")
        files = {"a/x.js", "a/x.cjs", "a/y.mjs", "a/y.cjs", "a/z.ts", "a/z.d.ts", "a/w.d.ts", "a/w.js", "a/v.d.cts", "a/v.d.ts"}
        copies = sorted(f for f in files if sibling_copy(f, files))
        self.check(copies == ["a/v.d.cts", "a/x.cjs", "a/y.cjs", "a/z.d.ts"], f"sibling build copies ({copies})")
        table = "TABLE = [\n" + "".join(f"    0x{i:04x}, {i * 7}, {i * 13},\n" for i in range(300)) + "]\n"
        self.check(content_reason(table) == "data", "numeric table dropped")
        blob = "DATA = (\n" + "".join(f'    "{"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo" * 2}{i:04d}"\n' for i in range(60)) + ")\n"
        self.check(content_reason("import base64\n" + blob) == "data", "base64 blob dropped")
        with tempfile.TemporaryDirectory() as d:
            small, big, latin, link = (os.path.join(d, n) for n in ("s.py", "b.py", "l.py", "k.py"))
            write(small, "x = 1\n")
            write(big, code * 200)
            write(latin, ("# caf\xe9\n" + code).encode("latin-1"))
            os.symlink(latin, link)
            self.check(read_source(small)[1] == "too_small", "file under 200 bytes dropped")
            self.check(read_source(big)[1] == "too_large", "file over 256 KiB dropped")
            self.check(read_source(latin)[1] == "not_utf8", "non-UTF-8 dropped")
            self.check(read_source(link)[1] == "symlink", "symlink dropped")

    def test_numpy(self):
        self.check(path_reason("pandas/compat/numpy/function.py") == "numpy_path", "path containing numpy dropped")
        self.check(path_reason("torch/_numpy_compat.py") == "numpy_path", "file name containing numpy dropped")
        self.check(content_reason("# Copyright (c) 2005-2023, NumPy Developers.\n" + fake_code(2)) == "numpy_derived",
                   "code carrying NumPy's copyright dropped")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "list.json")
            write_json(path, {"debian": ["python3-numpy=1:1.24.2-1"], "npm": []})
            with self.assertRaises(AssertionError, msg="a numpy package in the list is refused"):
                bc.load_package_list(path)

    def test_dedup(self):
        a, b = fake_code(10), fake_code(11)
        near = a.replace("# combine", "# join", 1).replace('"""Module 10: helpers."""', '"""Module ten: helper functions."""')
        exact = "\n".join(line + "   " for line in a.split("\n"))  # only trailing spaces differ
        docs = [{"path": p, "text": t} for p, t in (("a", a), ("b", b), ("near", near), ("exact", exact))]
        counts = {}
        kept = [d["path"] for d in dedup(docs, counts)]
        self.check(kept == ["a", "b"], f"exact copy and changed-comment copy removed, different file kept ({kept})")
        self.check(counts.get("exact_duplicate", [0])[0] == 1 and counts.get("near_duplicate", [0])[0] == 1,
                   f"dedup counts by kind ({counts})")

    def test_split(self):
        pkg_bytes = {f"py{i}": {"python": 1000 + 37 * i} for i in range(40)}
        pkg_bytes.update({f"go{i}": {"go": 5000 + i} for i in range(5)})
        pkg_bytes.update({"rs0": {"rust": 100}, "rs1": {"rust": 90_000}, "ts0": {"typescript": 10, "javascript": 5}})
        pkg_bytes["ts1"] = {"typescript": 400}
        held = bc.choose_heldout(pkg_bytes)
        langs = {max(pkg_bytes[p], key=pkg_bytes[p].get) for p in held}
        self.check(langs == {"python", "go", "rust", "typescript"}, f"every language with 2+ packages holds one out ({sorted(held)})")
        self.check("rs1" not in held, "a package too big for the held-out share stays in train")
        py = sum(pkg_bytes[p]["python"] for p in held if p.startswith("py")) / sum(v["python"] for k, v in pkg_bytes.items()
                                                                                   if k.startswith("py"))
        self.check(0.035 <= py <= 0.05, f"3.5-5% of the bytes held out ({py:.3f})")
        self.check(held == bc.choose_heldout(dict(reversed(list(pkg_bytes.items())))), "the choice is stable")

    def test_build_end_to_end(self):
        with tempfile.TemporaryDirectory() as d:
            cache, plist = make_fake_cache(d)
            out = os.path.join(d, "corpus")
            man = bc.build(bc.load_package_list(plist), cache, out, lambda s: None, cap_mb=None)
            rows = {s: [json.loads(x) for x in read(os.path.join(out, s + ".jsonl")).split("\n") if x] for s in ("train", "heldout")}
            train_pk = {r["package"] for r in rows["train"]}
            held_pk = {r["package"] for r in rows["heldout"]}
            self.check(held_pk and train_pk and not train_pk & held_pk, f"no package in both splits (held out: {sorted(held_pk)})")
            shared = [(s, r["path"]) for s in rows for r in rows[s] if r["path"].endswith("/shared.py")]
            self.check(len(shared) == 1 and shared[0][0] == "heldout", f"the shared module survives once, in held-out ({shared})")
            paths = [r["path"] for s in rows for r in rows[s]]
            self.check(not any("numpy" in p for p in paths), "no numpy path in the corpus")
            self.check(not any(p.startswith("python3-gpl/") for p in paths), "the GPL package is excluded")
            self.check(not any(p.startswith("jslib/dist/") for p in paths) and any(p.startswith("jslib/src/") for p in paths),
                       "npm src/ kept, its dist/ copy dropped")
            src = {s["package"]: s for s in man["sources"]}
            self.check(src["python3-gpl"]["kept"] is False and src["python3-aaa"]["licence"] == "MIT", "manifest sources")
            self.check(man["heldout_files"] == sorted(r["path"] for r in rows["heldout"]), "manifest heldout_files")
            self.check(man["removed"]["near_duplicate"]["files"] == 3 and man["removed"]["numpy_path"]["files"] == 4,
                       f"manifest removal counts ({man['removed']})")
            order = [bc.stable_hash(r["path"]) for r in rows["train"]]
            self.check(order == sorted(order), "train.jsonl is in stable-hash order")
            self.check(sum(man["bytes_by_language"].values()) == man["splits"]["train"]["bytes"] + man["splits"]["heldout"]["bytes"],
                       "bytes by language add up to the splits")

    def test_fetch_failure_is_reported(self):
        errors = bc.download_batches(["good", "bad"], ["true"], tempfile.gettempdir(), lambda s: s == "good")
        self.check(errors.keys() == {"bad"}, f"a package that cannot be fetched is reported, the rest go on ({errors})")

    def test_carry(self):
        rng = random.Random(5)
        lines = [json.dumps({"text": "".join(rng.choice("abcdefghij \n") for _ in range(2000))}) + "\n" for _ in range(400)]
        with tempfile.TemporaryDirectory() as d:
            dest = os.path.join(d, "t.jsonl.xz")
            limit = 150_000
            n, raw, size = bc.compress_lines(lambda: iter(lines), dest, limit=limit, preset=6, margin=1 << 14)
            back = lzma.decompress(read(dest, "rb")).decode()
            self.check(size == os.path.getsize(dest) <= limit and 0 < n < len(lines), f"carry cut to the limit ({n} lines, {size} B)")
            self.check(back == "".join(lines[:n]) and raw == len(back.encode()), "carry holds exactly the first n lines")
            n0, _, size0 = bc.compress_lines(lambda: iter(lines), dest, limit=limit, preset=6, margin=0)
            self.check(size0 <= limit and n0 <= n, f"an overshoot is retried with a margin ({n0} lines, {size0} B)")
            n_all, _, _ = bc.compress_lines(lambda: iter(lines), dest, preset=6)
            self.check(n_all == len(lines), "without a limit everything is written")
