"""Where the model tooling finds the repository's files, in one place for every subpackage."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CLI = os.path.join(ROOT, "dist", "cli.js")  # the built CLI (npm run build): `models convert`, `serve`
CHECKS = os.path.join(HERE, "checks")  # the node scripts that run graphs and tokenizers as the engine does
RECIPE_TOKENIZER = os.path.join(HERE, "corpus", "tokenizer.json")  # the training recipe's, from corpus/train_bpe.py
WORK = os.path.join(ROOT, "models", ".train")  # the corpus, checkpoints and runs (untracked)
BUNDLED = os.path.join(ROOT, "models", "bundled")
TINY_MODEL = os.path.join(ROOT, "test", "fixtures", "tiny-model")


def check_script(name):
    """The path of a node script of checks/, e.g. check_script("check_tokenizer.mjs")."""
    return os.path.join(CHECKS, name)
