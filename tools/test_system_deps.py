"""tools/system_deps.py: the tree passes against scripts/debian-packages.txt, and fails, naming what
is missing, once a package it needs is taken off the list.

  /usr/bin/python3 -m unittest tools.test_system_deps
"""
import os
import subprocess
import sys
import tempfile
import unittest

from . import system_deps


def run_check(list_path):
    return subprocess.run([sys.executable, "-m", "tools.system_deps", "--list", list_path], cwd=system_deps.ROOT,
                          capture_output=True, text=True)


def list_without(package):
    with open(system_deps.LIST) as f:
        lines = [line for line in f if line.split("#")[0].strip() != package]
    f = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    f.writelines(lines)
    f.close()
    return f.name


class SystemDeps(unittest.TestCase):
    def test_the_list_covers_the_tree(self):
        r = run_check(system_deps.LIST)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_a_python_module_off_the_list_fails(self):
        path = list_without("python3-regex")
        try:
            r = run_check(path)
        finally:
            os.unlink(path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("Python module regex (tools/model/corpus/train_bpe.py", r.stderr)
        self.assertIn("python3-regex", r.stderr)

    def test_a_program_off_the_list_fails(self):
        path = list_without("chromium")
        try:
            r = run_check(path)
        finally:
            os.unlink(path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("program /usr/bin/chromium (test/vscode/codeServer.mjs)", r.stderr)

    def test_shell_reading_finds_commands_not_quoted_text(self):
        words = system_deps.shell_commands('x="$(dirname "$0")"; "${sudo[@]}" apt-get install -y\n'
                                           "awk '/a/ { found = 1; next }' f | nice -n 19 tee g # nope\n"
                                           'log "installing (native build)" && command -v rg >/dev/null\n')
        self.assertEqual([w for w in words if w not in system_deps.SHELL_WORDS], ["dirname", "apt-get", "awk", "tee", "rg"])


if __name__ == "__main__":
    unittest.main()
