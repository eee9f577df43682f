"""Build the training corpus from packages this machine can fetch: Debian's apt and the npm registry.

What it does, in order:
  1. fetch   every package pinned in packages.json (beside this file): Debian binary packages with
             `apt-get download NAME=VERSION` into CACHE/debs/, unpacked with `dpkg-deb -x` into CACHE/pkgs/NAME/
             (never installed); npm packages with `npm pack NAME@VERSION` into CACHE/npm/, extracted into
             CACHE/pkgs/npm+NAME/.  A package already in the cache at the pinned version is reused, so a
             re-run downloads nothing.  A package that cannot be fetched is reported and skipped.
  2. licence read per package (licences.py): the Debian copyright file (DEP-5 `Files: *` stanza,
             per-file stanzas where a pattern matches, keyword detection for free-form files) or package.json's
             "license".  Only permissive licences are kept (MIT, BSD, Apache-2.0, ISC, PSF, Zlib, CC0,
             Unlicense, 0BSD, public domain, and disjunctions with one such option).
  3. filter  (filters.py) source files (.py .js .mjs .cjs .jsx .ts .tsx .mts .cts .go .rs): drop
             vendored/test-data paths, symlinks, files under 200 bytes or over 256 KiB, non-UTF-8, minified,
             generated and data-table files, and anything whose path mentions numpy.
  4. split   whole packages into held out (3.5-5% of each language's bytes, chosen by a stable hash of
             the package name) and train.
  5. dedup   (dedup.py) exact (sha1 of the text with trailing spaces stripped) and near-duplicate
             (MinHash of 5-word shingles, LSH, Jaccard >= 0.8), held-out packages first, so a training file
             never nearly copies a held-out one.
  6. write   OUT/train.jsonl, OUT/heldout.jsonl ({"path","package","lang","licence","text"} per line,
             ordered by a hash of the path so any prefix is a fair sample), OUT/manifest.json, and
             xz copies for a GPU job's upload in CARRY/ (the train copy cut to --carry-mb).

numpy is the project's untouched test set: no numpy package is fetched, no file whose path mentions numpy
(or that carries NumPy's copyright line) is kept, and the script asserts so at the end.

Run:  /usr/bin/python3 -m tools.model.corpus.build [--out models/.train/corpus] [--cache models/.train/cache]
                                                   [--carry models/.train/carry] [--carry-mb 24]
Test: /usr/bin/python3 -m unittest tools.model.tests.test_corpus
"""
import argparse
import glob
import hashlib
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time

from ..paths import WORK
from .dedup import dedup
from .filters import EXTS, content_reason, has_numpy, path_reason, read_source, sibling_copy
from .licences import debian_licence, file_licence, npm_licence

PACKAGE_LIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "packages.json")

# The install prefixes dropped from a Debian file's path in the corpus ("django/urls/base.py").
INSTALL_PREFIX = re.compile(r"^usr/(lib|share)/(python3(\.\d+)?/dist-packages|python3\.\d+|gocode/src"
                            r"|cargo/registry|go-[\d.]+/src|go-[\d.]+|nodejs)/")


# ----------------------------------------------------------------------------------------------- fetch

def load_package_list(path=PACKAGE_LIST):
    """[{kind, name, version, ...options}] in file order.  Refuses anything named like numpy."""
    with open(path) as f:
        spec = json.load(f)
    out = []
    for item in spec["debian"]:
        name, _, version = item.partition("=")
        out.append({"kind": "deb", "name": name, "version": version, **spec.get("options", {}).get(name, {})})
    for item in spec["npm"]:
        name, _, version = item.rpartition("@")
        out.append({"kind": "npm", "name": name, "version": version, **spec.get("options", {}).get(name, {})})
    for p in out:
        assert "numpy" not in p["name"].lower(), f"{p['name']}: numpy is the test set and never in the corpus"
        assert p["version"], f"{p['name']}: pin a version"
    names = [p["name"] for p in out]
    assert len(set(names)) == len(names), "a package name is listed twice (Debian and npm names must differ too)"
    return out


def pkg_dir(cache, p):
    return os.path.join(cache, "pkgs", ("npm+" + p["name"].replace("/", "+")) if p["kind"] == "npm" else p["name"])


def is_unpacked(cache, p):
    try:
        with open(os.path.join(pkg_dir(cache, p), ".corpus-version")) as f:
            return f.read() == p["version"]
    except OSError:
        return False


def deb_file(debs, name, version):
    hits = glob.glob(os.path.join(debs, f"{name}_{version.replace(':', '%3a')}_*.deb"))
    return hits[0] if hits else None


def npm_file(npm, name, version):
    path = os.path.join(npm, f"{name.lstrip('@').replace('/', '-')}-{version}.tgz")
    return path if os.path.exists(path) else None


def download_batches(specs, cmd, cwd, have, batch=40):
    """Run cmd + specs in batches; a failed batch is retried one spec at a time so one bad pin costs one package.
    Returns {spec: error text} for the specs that could not be fetched."""
    errors = {}
    todo = [s for s in specs if not have(s)]
    for i in range(0, len(todo), batch):
        chunk = todo[i:i + batch]
        subprocess.run(cmd + chunk, cwd=cwd, capture_output=True, text=True)
        for s in chunk:
            if have(s):
                continue
            r = subprocess.run(cmd + [s], cwd=cwd, capture_output=True, text=True)
            if not have(s):  # apt-get can succeed yet fetch another package (a virtual name)
                errors[s] = (r.stderr.strip().splitlines() or ["no file with the pinned name"])[-1]
    return errors


def safe_extract_tgz(tgz, dest):
    """Extract an npm tarball without its top folder ('package/'), regular files only, nothing outside dest."""
    with tarfile.open(tgz) as tf:
        for m in tf.getmembers():
            parts = m.name.replace("\\", "/").split("/")[1:]
            if not m.isfile() or not parts or any(x in ("", ".", "..") for x in parts):
                continue
            target = os.path.join(dest, *parts)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with tf.extractfile(m) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)


def unpack(cache, p, archive):
    """Unpack into a temporary folder, then rename, so an interrupted run never leaves a half tree marked done."""
    dest = pkg_dir(cache, p)
    tmp = dest + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    if p["kind"] == "deb":
        subprocess.run(["dpkg-deb", "-x", archive, tmp], check=True, capture_output=True)
    else:
        safe_extract_tgz(archive, tmp)
    with open(os.path.join(tmp, ".corpus-version"), "w") as f:
        f.write(p["version"])
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)


def fetch_all(packages, cache, log):
    """Make sure every package is unpacked in the cache.  Returns {name: error} for those that are not."""
    cache = os.path.abspath(cache)
    debs, npm = os.path.join(cache, "debs"), os.path.join(cache, "npm")
    for d in (debs, npm, os.path.join(cache, "pkgs")):
        os.makedirs(d, exist_ok=True)
    # Packages whose copyright file lives in another package (their doc folder is a link) need that one too.
    helpers = {p["copyright_from"] for p in packages if p.get("copyright_from")}
    helpers = [{"kind": "deb", "name": n, "version": v} for n, _, v in (h.partition("=") for h in sorted(helpers))]
    need = [p for p in packages + helpers if not is_unpacked(cache, p)]
    if need:
        log(f"fetching {len(need)} packages ({sum(p['kind'] == 'deb' for p in need)} deb, "
            f"{sum(p['kind'] == 'npm' for p in need)} npm)")
    deb_specs = {f"{p['name']}={p['version']}": p for p in need if p["kind"] == "deb"}
    npm_specs = {f"{p['name']}@{p['version']}": p for p in need if p["kind"] == "npm"}
    errors = download_batches(list(deb_specs), ["apt-get", "download", "-q"], debs,
                              lambda s: deb_file(debs, *s.split("=", 1)) is not None)
    errors.update(download_batches(list(npm_specs), ["npm", "pack", "--ignore-scripts", "--silent",
                                                     "--pack-destination", npm], npm,
                                   lambda s: npm_file(npm, *s.rsplit("@", 1)) is not None))
    failed = {}
    for spec, p in list(deb_specs.items()) + list(npm_specs.items()):
        if spec in errors:
            failed[p["name"]] = errors[spec]
            log(f"  could not fetch {spec}: {errors[spec]}")
            continue
        archive = deb_file(debs, p["name"], p["version"]) if p["kind"] == "deb" else npm_file(npm, p["name"], p["version"])
        try:
            unpack(cache, p, archive)
        except (subprocess.CalledProcessError, tarfile.TarError, OSError) as e:
            failed[p["name"]] = f"unpack failed: {e}"
            log(f"  could not unpack {spec}: {e}")
    return failed


# ----------------------------------------------------------------------------------------------- scan

def stable_hash(s):
    return int.from_bytes(hashlib.sha1(s.encode()).digest()[:8], "big")


def cap_package(docs, cap_bytes, counts):
    """At most cap_bytes of one package, files taken in stable-hash order of their paths, so one huge package
    (a whole cloud platform, a test suite) cannot crowd out the many smaller ones."""
    if cap_bytes is None or sum(len(d["text"].encode()) for d in docs) <= cap_bytes:
        return docs
    kept, total = [], 0
    for d in sorted(docs, key=lambda d: stable_hash(d["path"])):
        n = len(d["text"].encode())
        if total + n <= cap_bytes:
            kept.append(d)
            total += n
        else:
            c = counts.setdefault("package_cap", [0, 0])
            c[0] += 1
            c[1] += n
    keep = {id(d) for d in kept}
    return [d for d in docs if id(d) in keep]


def package_licence(cache, p):
    """(licence text, permissive?, per-file rules, how it was read)."""
    root = pkg_dir(cache, p)
    if p["kind"] == "npm":
        try:
            with open(os.path.join(root, "package.json"), encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, ValueError):
            return "unknown", False, [], "no package.json"
        lic, ok = npm_licence(meta)
        return lic, ok, [], "package.json"
    doc_pkg = p["name"]
    doc_root = root
    if p.get("copyright_from"):
        doc_pkg, _, v = p["copyright_from"].partition("=")
        doc_root = pkg_dir(cache, {"kind": "deb", "name": doc_pkg, "version": v})
    path = os.path.join(doc_root, "usr", "share", "doc", doc_pkg, "copyright")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        link = os.path.join(root, "usr", "share", "doc", p["name"])
        hint = f" (doc folder links to {os.readlink(link)}: set copyright_from)" if os.path.islink(link) else ""
        return "unknown", False, [], "no copyright file" + hint
    (lic, ok), rules, how = debian_licence(text)
    return lic, ok, rules, how


def walk_files(root):
    """Relative paths of all files under root, sorted, so every run sees them in the same order."""
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        rel_d = os.path.relpath(d, root)
        for name in sorted(files):
            out.append(name if rel_d == "." else rel_d.replace(os.sep, "/") + "/" + name)
    return out


def include_ok(rel, p):
    inc = p.get("include")
    return not inc or any(rel.startswith(x) for x in inc)


def scan_package(cache, p, licence, rules, counts):
    """Kept documents of one package (filters applied, no dedup yet).  counts: {reason: [files, bytes]}."""
    root = pkg_dir(cache, p)
    files = walk_files(root)
    npm_src = p["kind"] == "npm" and any(f.startswith("src/") and os.path.splitext(f)[1] in EXTS for f in files)
    ts_sources = any(f.endswith((".ts", ".tsx", ".mts", ".cts")) and not re.search(r"\.d\.[cm]?ts$", f) for f in files)
    file_set = set(files)
    docs = []
    for install_path in files:
        rel = INSTALL_PREFIX.sub("", install_path) if p["kind"] == "deb" else install_path
        reason = path_reason(rel, npm_src) or (None if include_ok(rel, p) else "not_included")
        if reason is None and sibling_copy(install_path, file_set):
            reason = "sibling_build_copy"
        full = os.path.join(root, install_path)
        if reason == "extension":
            continue  # not source code at all; not worth counting
        text = None
        if reason is None:
            lic, ok = file_licence(install_path, (licence, True), rules)
            if not ok:
                reason = "licence_file"
        if reason is None:
            text, reason = read_source(full)
        if reason is None:
            reason = content_reason(text, ts_sources)
        if reason:
            c = counts.setdefault(reason, [0, 0])
            c[0] += 1
            c[1] += os.lstat(full).st_size
            continue
        docs.append({"path": p["name"] + "/" + rel, "package": p["name"], "lang": EXTS[os.path.splitext(rel)[1]],
                     "licence": lic, "text": text})
    return docs


# ----------------------------------------------------------------------------------------------- split


def choose_heldout(pkg_bytes, target=0.035, cap=0.05):
    """Held-out packages: per language (a package's language is the one with most of its bytes), walk the
    packages in stable-hash order of their names and take them until `target` of the language's bytes is
    held out, skipping any that would pass `cap` (so no single huge package, like the stdlib, is held out).
    Every language gets at least one package: the smallest in hash order if none fitted."""
    lang_of = {p: max(b, key=b.get) for p, b in pkg_bytes.items() if b}
    total = {}
    for p, lang in lang_of.items():
        total[lang] = total.get(lang, 0) + sum(pkg_bytes[p].values())
    held = set()
    for lang in sorted(total):
        cands = sorted((p for p in lang_of if lang_of[p] == lang), key=stable_hash)
        got = 0
        for p in cands:
            if got >= target * total[lang]:
                break
            b = sum(pkg_bytes[p].values())
            if got + b <= cap * total[lang]:
                held.add(p)
                got += b
        if not got and len(cands) > 1:
            held.add(min(cands, key=lambda p: sum(pkg_bytes[p].values())))
    return held


# ----------------------------------------------------------------------------------------------- output

def write_jsonl(path, docs):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")
    os.replace(tmp, path)


def compress_lines(make_lines, dest, limit=None, preset=9, margin=1 << 18):
    """xz-compress the lines of make_lines() into dest, stopping before the compressed size would pass `limit`.

    The compressor emits output as it goes (LZMA2 chunks of at most 64 KiB compressed), so the bytes
    written so far plus a margin bound the final size; if the flush still overshoots, retry with a
    bigger margin.  Returns (lines written, raw bytes written, compressed bytes)."""
    while True:
        comp = lzma.LZMACompressor(preset=preset)
        n = raw = out = 0
        tmp = dest + ".tmp"
        with open(tmp, "wb") as f:
            for line in make_lines():
                if limit is not None and out + margin >= limit:
                    break
                data = line.encode("utf-8")
                chunk = comp.compress(data)
                f.write(chunk)
                out += len(chunk)
                n += 1
                raw += len(data)
            chunk = comp.flush()
            f.write(chunk)
            out += len(chunk)
        if limit is None or out <= limit:
            os.replace(tmp, dest)
            return n, raw, out
        margin = max(4 * margin, 1 << 16)


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        yield from f


def file_sha1(path):
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_carry(out_dir, carry_dir, carry_mb, preset, log):
    """corpus-train.jsonl.xz (a prefix of train.jsonl that fits carry_mb MiB) and corpus-heldout.jsonl.xz.
    Skipped when the corpus and the settings are those of the copy already there."""
    os.makedirs(carry_dir, exist_ok=True)
    train, held = os.path.join(out_dir, "train.jsonl"), os.path.join(out_dir, "heldout.jsonl")
    stamp_path = os.path.join(carry_dir, "carry.json")
    key = {"train_sha1": file_sha1(train), "heldout_sha1": file_sha1(held), "carry_mb": carry_mb, "preset": preset,
           "format": 2}
    try:
        with open(stamp_path) as f:
            stamp = json.load(f)
        if stamp.get("key") == key and all(os.path.exists(os.path.join(carry_dir, x))
                                           for x in ("corpus-train.jsonl.xz", "corpus-heldout.jsonl.xz")):
            log("carry: unchanged, reusing the compressed copies")
            return stamp["carry"]
    except (OSError, ValueError):
        pass
    t0 = time.time()
    n, raw, size = compress_lines(lambda: read_lines(train), os.path.join(carry_dir, "corpus-train.jsonl.xz"),
                                  limit=int(carry_mb * 2 ** 20), preset=preset)
    hn, hraw, hsize = compress_lines(lambda: read_lines(held), os.path.join(carry_dir, "corpus-heldout.jsonl.xz"), preset=preset)
    source = sum(len(json.loads(line)["text"].encode()) for _, line in zip(range(n), read_lines(train)))
    carry = {"train": {"files": n, "source_bytes": source, "jsonl_bytes": raw, "xz_bytes": size,
                       "ratio": round(raw / max(1, size), 2)},
             "heldout": {"files": hn, "jsonl_bytes": hraw, "xz_bytes": hsize, "ratio": round(hraw / max(1, hsize), 2)},
             "limit_mib": carry_mb, "preset": preset, "seconds": round(time.time() - t0, 1)}
    with open(stamp_path, "w") as f:
        json.dump({"key": key, "carry": carry}, f, indent=1)
    return carry


def add(table, key, n):
    table[key] = table.get(key, 0) + n


def by_bytes(table):
    return dict(sorted(table.items(), key=lambda kv: (-kv[1], kv[0])))


# ----------------------------------------------------------------------------------------------- main

def build(packages, cache, out_dir, log, cap_mb=4):
    """Fetch, filter, split, dedup and write the corpus.  Returns the manifest (without the carry)."""
    failed = fetch_all(packages, cache, log)
    counts, sources, pkg_docs, pkg_lang_bytes = {}, [], {}, {}
    t0 = time.time()
    for p in packages:
        src = {"package": p["name"], "version": p["version"], "kind": p["kind"]}
        sources.append(src)
        if p["name"] in failed:
            src.update(licence="unknown", kept=False, reason="fetch failed: " + failed[p["name"]])
            continue
        lic, ok, rules, how = package_licence(cache, p)
        src.update(licence=lic, licence_read_from=how, kept=ok)
        if not ok:
            src["reason"] = "licence not permissive" if lic != "unknown" else f"licence unknown ({how})"
            continue
        docs = scan_package(cache, p, lic, rules, counts)
        cap = p.get("cap_mb", cap_mb)
        docs = cap_package(docs, None if cap is None else int(cap * 1e6), counts)
        pkg_docs[p["name"]] = docs
        for d in docs:
            add(pkg_lang_bytes.setdefault(p["name"], {}), d["lang"], len(d["text"].encode()))
    log(f"scanned {sum(len(d) for d in pkg_docs.values())} files in {len(pkg_docs)} packages ({time.time() - t0:.0f} s)")

    heldout = choose_heldout(pkg_lang_bytes)
    # Held-out packages go first: a near-copy of a held-out file is then removed from train, not the reverse.
    order = [p["name"] for p in packages if p["name"] in heldout] + \
            [p["name"] for p in packages if p["name"] in pkg_docs and p["name"] not in heldout]
    t0 = time.time()
    kept = dedup([d for name in order for d in pkg_docs[name]], counts, log)
    log(f"dedup kept {len(kept)} files ({time.time() - t0:.0f} s)")

    for d in kept:
        assert not has_numpy(d["path"]) and not has_numpy(d["package"]), d["path"]
    splits = {"train": [], "heldout": []}
    for d in kept:
        splits["heldout" if d["package"] in heldout else "train"].append(d)
    assert not {d["package"] for d in splits["train"]} & {d["package"] for d in splits["heldout"]}
    for docs in splits.values():
        docs.sort(key=lambda d: (stable_hash(d["path"]), d["path"]))
    os.makedirs(out_dir, exist_ok=True)
    for name, docs in splits.items():
        write_jsonl(os.path.join(out_dir, name + ".jsonl"), docs)
    return manifest(sources, splits, counts, heldout)


def manifest(sources, splits, counts, heldout):
    by_lang, by_lic, by_pkg, split_stats = {}, {}, {}, {}
    for name, docs in splits.items():
        st = {"files": len(docs), "bytes": 0, "bytes_by_language": {}}
        for d in docs:
            n = len(d["text"].encode())
            st["bytes"] += n
            add(st["bytes_by_language"], d["lang"], n)
            add(by_lang, d["lang"], n)
            add(by_lic, d["licence"], n)
            add(by_pkg, d["package"], n)
        st["bytes_by_language"] = by_bytes(st["bytes_by_language"])
        split_stats[name] = st
    for s in sources:
        if s.get("kept"):
            s["bytes_kept"] = by_pkg.get(s["package"], 0)
            s["split"] = "heldout" if s["package"] in heldout else "train"
    return {
        "sources": sources,
        "splits": split_stats,
        "bytes_by_language": by_bytes(by_lang),
        "bytes_by_licence": by_bytes(by_lic),
        "bytes_by_package": by_bytes(by_pkg),
        "removed": {k: {"files": v[0], "bytes": v[1]} for k, v in sorted(counts.items())},
        "heldout_packages": sorted(heldout),
        "heldout_files": sorted(d["path"] for d in splits["heldout"]),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--packages", default=PACKAGE_LIST, help="the pinned package list (JSON)")
    ap.add_argument("--cache", default=os.path.join(WORK, "cache"))
    ap.add_argument("--out", default=os.path.join(WORK, "corpus"))
    ap.add_argument("--carry", default=os.path.join(WORK, "carry"),
                    help="where the xz copies for a GPU job's upload go")
    ap.add_argument("--package-cap-mb", type=float, default=4,
                    help="MB kept at most per package (a package's cap_mb option overrides; null: no cap)")
    ap.add_argument("--carry-mb", type=float, default=24, help="MiB cap on the compressed train copy")
    ap.add_argument("--xz-extreme", action="store_true", help="xz preset 9e instead of 9 (slower, a little smaller)")
    args = ap.parse_args()
    start = time.time()

    def log(msg):
        print(f"[{time.time() - start:6.0f} s] {msg}", file=sys.stderr, flush=True)

    packages = load_package_list(args.packages)
    man = build(packages, args.cache, args.out, log, args.package_cap_mb)
    preset = 9 | (lzma.PRESET_EXTREME if args.xz_extreme else 0)
    man["carry"] = write_carry(args.out, args.carry, args.carry_mb, preset, log)
    man["seconds"] = round(time.time() - start, 1)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(man, f, indent=1)
    summary = {k: man[k] for k in ("splits", "bytes_by_language", "bytes_by_licence", "removed", "carry")}
    summary["top_packages"] = dict(list(man["bytes_by_package"].items())[:15])
    summary["excluded_packages"] = {s["package"]: s["reason"] for s in man["sources"] if not s.get("kept")}
    print(json.dumps(summary, indent=1))
    if man["splits"]["train"]["bytes"] < 200e6:
        log(f"warning: train holds only {man['splits']['train']['bytes'] / 1e6:.0f} MB (< 200 MB)")


if __name__ == "__main__":
    main()
