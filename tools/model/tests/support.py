"""What the model tests share."""
import json
import os
import tempfile
import unittest

from ..paths import HERE as PACKAGE

# A folder to work in and leave behind, to look at what a test built (one subfolder per test class).
KEEP = os.environ.get("MODEL_TESTS_KEEP")


class Checks(unittest.TestCase):
    """A test case whose checks each report their failure and let the test go on, so that one run
    names every check that fails (as the scripts these tests were did), not only the first."""

    def check(self, ok, what):
        with self.subTest(what):
            self.assertTrue(ok, what)


class WorkDir(Checks):
    """A test case with a folder for the whole class (self.tmp): temporary, or under $MODEL_TESTS_KEEP;
    torch on one CPU thread."""

    @classmethod
    def setUpClass(cls):
        import torch  # here, so that the corpus tests run without torch as their script did

        torch.set_num_threads(1)
        if KEEP:
            cls.tmp = os.path.join(os.path.abspath(KEEP), cls.__name__)
            os.makedirs(cls.tmp, exist_ok=True)
        else:
            cls._tmp = tempfile.TemporaryDirectory()
            cls.tmp = cls._tmp.name

    @classmethod
    def tearDownClass(cls):
        if not KEEP:
            cls._tmp.cleanup()


def package_sources():
    """The package's own Python modules, {path under tools/model: text}, by file name: real code of every
    length that the tests use as text, with no download.  The __init__ files are left out: a line of
    docstring each, not code."""
    found = []
    for d, dirs, files in os.walk(PACKAGE):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        found += [os.path.join(d, f) for f in files if f.endswith(".py") and f != "__init__.py"]
    texts = {}
    for path in sorted(found, key=lambda p: (os.path.basename(p), p)):
        with open(path, encoding="utf-8") as f:
            texts[os.path.relpath(path, PACKAGE).replace(os.sep, "/")] = f.read()
    return texts


def write(path, data):
    """Writes text, or bytes, to path and closes it."""
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def write_json(path, doc):
    write(path, json.dumps(doc))


def read_json(path):
    return json.loads(read(path))
