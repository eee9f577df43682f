"""`python3 -m tools.model` lists every command: each module with a `__main__` block, and nothing else.

  python3 -m unittest tools.model.tests.test_commands
"""
import os
import re
import unittest

from .. import __main__ as commands
from ..paths import HERE as PACKAGE


def runnable_modules():
    found = set()
    for d, dirs, files in os.walk(PACKAGE):
        dirs[:] = [x for x in dirs if x not in ("__pycache__", "tests")]
        for name in files:
            if not name.endswith(".py") or name == "__main__.py":
                continue
            with open(os.path.join(d, name), encoding="utf-8") as f:
                if re.search(r'^if __name__ == "__main__":', f.read(), re.M):
                    rel = os.path.relpath(os.path.join(d, name[:-3]), PACKAGE)
                    found.add(rel.replace(os.sep, "."))
    return found


class Commands(unittest.TestCase):
    def test_every_command_listed(self):
        self.assertEqual(set(commands.COMMANDS), runnable_modules())

    def test_the_other_entry_points_exist(self):
        for line in commands.OTHERS:
            path = line.split()[1]
            self.assertTrue(os.path.isfile(os.path.join(PACKAGE, "..", "..", path)), path)
