"""onnx.decide alone at vocabularies that fill its blocks and one that does not (padded), on logits
made to test its top-two-by-blocks and its entropy (check_decide.mjs).

  python3 -m tools.model.test_decide_graph

Exits non-zero on any failure.
"""
import os
import subprocess
import sys
import tempfile

from .make_bench_model import decide_graph_alone

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for vocab in (320, 6143, 151936):
            path = os.path.join(tmp, f"decide_{vocab}.onnx")
            decide_graph_alone(path, vocab)
            r = subprocess.run(["node", os.path.join(HERE, "check_decide.mjs"), path, str(vocab)], text=True)
            failed += r.returncode != 0
    print("decide graph test:", "OK" if not failed else f"{failed} FAILURES")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
