"""The recorded run of Open-dLLM's p2 sampler (test/fixtures/p2-reference.json), which the engine's
test replays, is what references/p2_reference.py writes today: the fixture cannot drift from the
transcription it claims to record.

  python3 -m unittest tools.model.tests.test_p2_reference
"""
import os
import unittest

from ..paths import ROOT
from ..references import p2_reference


class P2Reference(unittest.TestCase):
    def test_fixture_is_what_the_script_writes(self):
        import torch

        torch.set_num_threads(1)
        with open(p2_reference.OUT) as f:
            committed = f.read()
        self.assertTrue(committed == p2_reference.text(),
                        f"{os.path.relpath(p2_reference.OUT, ROOT)} is not what p2_reference.py writes: "
                        "run python3 -m tools.model.references.p2_reference")
