"""Checks that everything the tests and tools take from the system comes from a Debian package on
scripts/debian-packages.txt, so a missing install step fails on the developer's own (warm) machine
and not only on a fresh one:

- every third-party Python module imported under tools/, found with /usr/bin/python3 and traced to
  its package with `dpkg -S`;
- every program the scripts call (shell scripts, package.json's scripts, the Node and Python
  scripts' spawn / execFile / subprocess calls), found on PATH and traced the same way.

A package that every Debian system has (Essential, or Priority required) needs no line.

  /usr/bin/python3 -m tools.system_deps [--list FILE]

Exits 1 naming each module or program and the package it needs.
"""
import argparse
import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LIST = os.path.join(ROOT, "scripts", "debian-packages.txt")

# What the project takes from outside Debian on purpose, and why.  Nothing else may be.
NOT_FROM_DEBIAN = {
    "node": "the project's prerequisite (Node.js with npm)",
    "npm": "the project's prerequisite (Node.js with npm)",
    "npx": "the project's prerequisite (Node.js with npm)",
    "code-server": "installed by scripts/install-code-server.sh from the npm registry",
    "nvidia-smi": "the GPU machine's driver; tools/model/gpu_run.sh asks only where it is",
    "sudo": "used only by a user who is not root, who needs it to install anything",
    "tokenizers": "an optional speed-up on the GPU machine's pip environment; tools/model/corpus/tok.py gives the same ids",
}
SHELL_WORDS = set("""if then else elif fi for while until do done case esac in function return exit set
shift local export readonly declare unset eval exec source true false test cd echo printf read trap wait
mapfile command type break continue let time nohup builtin : . [ [[ ]] { } ! log""".split())
SCRIPT_DIRS = ("scripts", "tools", "test", "src", ".ci")
SKIP_DIRS = {"node_modules", "__pycache__", ".git", ".train"}


def listed_packages(path):
    with open(path) as f:
        return {line.split("#")[0].strip() for line in f} - {""}


def source_files(exts):
    for top in SCRIPT_DIRS:
        for d, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs[:] = [x for x in dirs if x not in SKIP_DIRS]
            for name in files:
                if name.endswith(exts) or (exts == (".sh",) and name == "run" and d.endswith(".ci")):
                    yield os.path.join(d, name)


def rel(path):
    return os.path.relpath(path, ROOT)


def python_imports():
    """{top-level module: first 'file:line' importing it}, third-party modules only."""
    local = {"tools"}
    for path in source_files((".py",)):
        local.add(os.path.splitext(os.path.basename(path))[0])
    found = {}
    for path in source_files((".py",)):
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local:
                    found.setdefault(top, f"{rel(path)}:{node.lineno}")
    return found


def unquoted(line):
    """line with quoted text made inert: single-quoted text dropped, double-quoted literal text kept
    as one word without separators, and the commands of $( ) set apart wherever they are."""
    out, stack, i = [], ["code"], 0
    while i < len(line):
        c, top = line[i], stack[-1]
        if c == "\\":
            out.append("_")
            i += 2
            continue
        if line.startswith("$(", i):
            stack.append("sub")
            out.append(" ; ")
            i += 2
            continue
        if top == "dq":
            if c == '"':
                stack.pop()
            out.append(c if c == '"' or c.isalnum() or c in "$_-.{}[]@/" else "_")
        elif c == "'":
            end = line.find("'", i + 1)
            i = len(line) if end < 0 else end + 1
            out.append("''")
            continue
        elif c == '"':
            stack.append("dq")
            out.append(c)
        elif c == ")" and top == "sub":
            stack.pop()
            out.append(" ; ")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def shell_commands(text):
    """The first word of each command of a shell script (a close reading, enough for ours)."""
    text = re.sub(r"\\\n", " ", text)
    words = []
    for line in text.splitlines():
        line = unquoted(re.sub(r"(^|\s)#.*", "", line))
        words += re.findall(r"command -v ([\w.+-]+)", line)
        for part in re.split(r"\|\||&&|[;|&(){}`]|\bthen\b|\bdo\b|\belse\b", line):
            tokens = part.split()
            while tokens and (re.match(r"^\w+=", tokens[0]) or tokens[0] in ("env", "exec", "nohup", "time", "!")
                              or tokens[0].startswith(('"', "$"))):
                tokens.pop(0)
            if tokens and tokens[0] == "nice":  # nice -n N CMD
                tokens = tokens[3:] if len(tokens) > 3 and tokens[1] == "-n" else tokens[1:]
            if tokens and re.fullmatch(r"[a-z][a-z0-9._+-]*", tokens[0]):
                words.append(tokens[0])
    return words


SPAWN = re.compile(r"\b(?:execFileSync|execFile|spawnSync|spawn)\(\s*['\"]([^'\"]+)['\"]")
EXECUTABLE = re.compile(r"executablePath:\s*['\"]([^'\"]+)['\"]")
SUBPROCESS = re.compile(r"subprocess\.\w+\(\s*\[\s*['\"]([^'\"]+)['\"]")


def programs():
    """{program: first file naming it}."""
    found = {}

    def add(names, where):
        for name in names:
            if name not in SHELL_WORDS:
                found.setdefault(name, where)
    for path in source_files((".sh",)):
        with open(path) as f:
            add(shell_commands(f.read()), rel(path))
    for path in source_files((".ts", ".mjs", ".js")):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        add(SPAWN.findall(text) + EXECUTABLE.findall(text), rel(path))
    for path in source_files((".py",)):
        with open(path, encoding="utf-8") as f:
            add(SUBPROCESS.findall(f.read()), rel(path))
    with open(os.path.join(ROOT, "package.json")) as f:
        scripts = json.load(f)["scripts"]
    bins = set(os.listdir(os.path.join(ROOT, "node_modules", ".bin")))
    for name, line in scripts.items():
        add([w for w in shell_commands(line) if w not in bins], f"package.json scripts.{name}")
    return found


def usr_merged(path):
    """path and its twin across Debian's /usr merge (dpkg knows a file by the name its package used)."""
    out = [path]
    for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"), ("/usr/lib/", "/lib/")):
        if path.startswith(a):
            out.append(b + path[len(a):])
        elif path.startswith(b):
            out.append(a + path[len(b):])
    return out


def owners(paths):
    """{path: the Debian package that installed it (or its real path, or its /usr-merged twin)}, in one dpkg call."""
    names = {p: [n for q in {p, os.path.realpath(p)} for n in usr_merged(q)] for p in paths}
    r = subprocess.run(["dpkg", "-S", *sorted({n for ns in names.values() for n in ns})], capture_output=True, text=True)
    by_name = {}
    for line in r.stdout.splitlines():
        pkgs, _, name = line.partition(": ")
        by_name[name] = pkgs.split(",")[0].split(":")[0].strip()
    return {p: next((by_name[n] for n in ns if n in by_name), None) for p, ns in names.items()}


def base_system(packages):
    """The packages every Debian system has: Essential, or Priority required."""
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Essential} ${Priority}\n", *sorted(packages)],
                       capture_output=True, text=True)
    return {f[0] for f in (line.split() for line in r.stdout.splitlines()) if f[1:2] == ["yes"] or f[-1] == "required"}


def module_file(name):
    spec = importlib.util.find_spec(name)
    if spec is None:
        return None
    if spec.origin and spec.origin not in ("built-in", "frozen"):
        return spec.origin
    return next(iter(spec.submodule_search_locations or []), None)


def problems(listed):
    wanted = [("Python module", name, where, module_file(name)) for name, where in sorted(python_imports().items())]
    wanted += [("program", name, where, shutil.which(name)) for name, where in sorted(programs().items())]
    wanted = [w for w in wanted if w[1] not in NOT_FROM_DEBIAN]
    owner = owners([path for *_, path in wanted if path])
    base = base_system({p for p in owner.values() if p})
    out = []
    for kind, name, where, path in wanted:
        pkg = owner.get(path)
        if path is None:
            out.append(f"{kind} {name} ({where}) is not installed: add the Debian package that has it to scripts/debian-packages.txt")
        elif pkg is None:
            out.append(f"{kind} {name} ({where}) is {path}, which no Debian package installed")
        elif pkg not in listed and pkg not in base:
            out.append(f"{kind} {name} ({where}) comes from the Debian package {pkg}, which scripts/debian-packages.txt lacks")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--list", default=LIST, help="the package list to hold the tree to")
    args = ap.parse_args()
    found = problems(listed_packages(args.list))
    for p in found:
        print(p, file=sys.stderr)
    if found:
        sys.exit(1)
    print(f"system deps: every module and program comes from {rel(args.list)} or the base system")


if __name__ == "__main__":
    main()
