"""Collect the training corpus from source code already on this machine.

Writes OUT (default models/.train/corpus/): train.jsonl, heldout.jsonl ({"path","lang","licence","text"}
per line) and manifest.json (sizes, licences, held-out file list).
About 3% of files are held out, chosen by a hash of the file's label so the split is stable
across machines and runs.
"""
import argparse
import hashlib
import json
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SKIP_DIRS = {"test", "tests", "idlelib", "__pycache__", "site-packages", "dist-packages", "testing", "__tests__"}
EXTS = {".py": "python", ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".ts": "typescript"}
MAX_BYTES = 256_000


def sources():
    """(label prefix, directory, default licence). Labels, not absolute paths, feed the hold-out hash."""
    py = "/usr/lib/python3.11"
    if not os.path.isdir(py):
        py = os.path.expanduser("~/.pyenv/versions/3.11.7/lib/python3.11")
    out = [("cpython-3.11-stdlib", py, "PSF-2.0")]
    for label, d, lic in [("npm", "/usr/lib/node_modules/npm", "Artistic-2.0"),
                          ("corepack", "/usr/lib/node_modules/corepack", "MIT"),
                          ("node_modules", os.path.join(ROOT, "node_modules"), None)]:
        if os.path.isdir(d):
            out.append((label, d, lic))
    return out


def package_licence(path, stop, cache):
    """Licence field of the nearest package.json between the file and the source root."""
    d = os.path.dirname(path)
    while d.startswith(stop) and len(d) >= len(stop):
        if d not in cache:
            cache[d] = None
            pj = os.path.join(d, "package.json")
            if os.path.isfile(pj):
                try:
                    with open(pj, encoding="utf-8") as f:
                        meta = json.load(f)
                    lic = meta.get("license")
                    if isinstance(lic, dict):
                        lic = lic.get("type")
                    if lic and meta.get("name"):
                        cache[d] = str(lic)
                except (OSError, ValueError):
                    pass
        if cache[d]:
            return cache[d]
        d = os.path.dirname(d)
    return None


def looks_generated(text):
    lines = text.split("\n")
    return max(len(x) for x in lines) > 1000 or len(text) / max(1, len(lines)) > 120


def is_heldout(label, pct=3):
    return int(hashlib.sha1(label.encode()).hexdigest(), 16) % 100 < pct


def collect():
    seen = set()
    cache = {}
    for prefix, base, default_lic in sources():
        for d, dirs, files in os.walk(base):
            dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS and not x.startswith("."))
            rel_d = os.path.relpath(d, base)
            # TypeScript's compiler bundles are megabytes of generated JS; its lib .d.ts files are kept.
            if prefix == "node_modules" and rel_d.startswith("typescript"):
                files = [f for f in files if f.endswith(".d.ts")]
            for name in sorted(files):
                ext = os.path.splitext(name)[1]
                if ext not in EXTS or name.endswith(".min.js"):
                    continue
                path = os.path.join(d, name)
                try:
                    if os.path.getsize(path) > MAX_BYTES or os.path.islink(path):
                        continue
                    with open(path, encoding="utf-8") as f:
                        text = f.read()
                except (OSError, UnicodeDecodeError):
                    continue
                if len(text) < 200 or looks_generated(text):
                    continue
                h = hashlib.sha1(text.encode()).digest()
                if h in seen:
                    continue
                seen.add(h)
                lic = package_licence(path, base, cache) or default_lic or "unknown"
                label = prefix + "/" + os.path.relpath(path, base)
                yield {"path": label, "lang": EXTS[ext], "licence": lic, "text": text}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "models", ".train", "corpus"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    stats = {"train": {"files": 0, "bytes": 0}, "heldout": {"files": 0, "bytes": 0}}
    by_lang, by_lic, held = {}, {}, []
    with open(os.path.join(args.out, "train.jsonl"), "w") as tr, open(os.path.join(args.out, "heldout.jsonl"), "w") as ho:
        for doc in collect():
            split = "heldout" if is_heldout(doc["path"]) else "train"
            (ho if split == "heldout" else tr).write(json.dumps(doc) + "\n")
            n = len(doc["text"].encode())
            stats[split]["files"] += 1
            stats[split]["bytes"] += n
            by_lang[doc["lang"]] = by_lang.get(doc["lang"], 0) + n
            by_lic[doc["licence"]] = by_lic.get(doc["licence"], 0) + n
            if split == "heldout":
                held.append(doc["path"])
    manifest = {"sources": [[p, d, l] for p, d, l in sources()], "splits": stats, "bytes_by_language": by_lang,
                "bytes_by_licence": dict(sorted(by_lic.items(), key=lambda kv: -kv[1])), "heldout_files": held}
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps({k: v for k, v in manifest.items() if k != "heldout_files"}, indent=1))


if __name__ == "__main__":
    main()
