"""references/canvas.py held to the engine: the same requests through canvas.build_canvas and through the
engine's canvasFor (checks/engine_canvas.mjs) give the same ids, hole positions, heals and kept context,
with the bundled model's tokenizer (merges), the tiny one (bytes) and one whose merges cross line ends;
and the torch decoder's canvases and the training rows are canvas.py's.

  python3 -m unittest tools.model.tests.test_canvas
"""
import json
import os
import random
import subprocess

from ..corpus.bytelevel import BYTE_SYMBOL, tokenizer_json
from ..corpus.tok import ByteBPE
from ..evaluation.dream_decode import Decoder
from ..paths import BUNDLED, TINY_MODEL, check_script
from ..references.canvas import MAX_HOLE_TOKENS, CanvasOptions, Hole, build_canvas
from ..training.train_data import Examples
from .support import WorkDir, package_sources

TOKENIZERS = {"bundled": os.path.join(BUNDLED, "tokenizer.json"), "tiny": os.path.join(TINY_MODEL, "tokenizer.json")}


def model_config(tok, max_context=256, bos=True, heal=False):
    return {"maxContext": max_context, "maskTokenId": tok.specials["<|mask|>"],
            "bosTokenId": tok.specials["<|endoftext|>"] if bos else None, "tokenHealing": heal}


def source_texts():
    """The package's own modules with no special token spelt out (the engine's tokenizer reads
    `<|mask|>` in text as the token, tok.py as its characters)."""
    return {name: text.replace("<|", "<!") for name, text in package_sources().items()}


def line_starts(text):
    return [0] + [i + 1 for i, c in enumerate(text) if c == "\n" and i + 1 < len(text)]


def fixed_cases(tok, src):
    """(name, model, text, holes, options): each rule of the canvas at least once."""
    m = model_config(tok)
    starts = line_starts(src)
    mid = starts[len(starts) // 2]
    at = [starts[len(starts) * k // 10] for k in (2, 5, 8)]
    short = "def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n"
    ret = short.index("a + b")
    long_line = "x = [" + ", ".join(f"'{i}🙂é'" for i in range(700)) + "]\n"
    line_mid = len(long_line) // 2
    # The first line the window takes, the one before the hole, may have 8 characters a token of the
    # budget (256 - 8 - 1): a run of `*` fits in fewer tokens, so the cut line is kept.
    limit = 8 * (256 - 8 - 1)
    split = "x = 1\n/* " + "*" * 3000 + "🙂" + "*" * 1927 + "🙂" * 20 + " */ y = "  # the cut halves the first 🙂
    wide = "x = 1\n" + "🙂" * 20 + "*" * (limit - 30)  # longer than the limit in UTF-16 units only
    banner = "# " + "*" * 100 + "\n"
    literal = 'DATA = "' + "q🙂" * 1600 + '"\n'
    js = "function f(a) {\n  if (a) {\n    return a.length;\n  }\n}\n"
    dot = "result = foo.ba"
    return [
        ("short, fits whole", m, short, [Hole(ret, ret, 8)], {}),
        ("long, one hole in the middle", m, src, [Hole(mid, mid, 24)], {}),
        ("long, three holes, one single-line", m, src, [Hole(at[0], at[0], 16), Hole(at[1], at[1] + 10, 32, True),
                                                       Hole(at[2], at[2], 8)], {}),
        ("a hole at the start", m, src, [Hole(0, 0, 16)], {}),
        ("a hole at the end", m, src, [Hole(len(src), len(src), 16)], {}),
        ("holes at the start and the end", m, src, [Hole(0, 0, 16), Hole(len(src), len(src), 16)], {}),
        ("a cursor hole right after a replaced span", m, short, [Hole(ret, ret + 5, 4), Hole(ret + 5, ret + 5, 4)], {}),
        ("holes without a length: default and replaced text plus slack", m, src,
         [Hole(at[0], at[0]), Hole(at[1], starts[starts.index(at[1]) + 3])], {}),
        ("a replaced span counted a chunk of lines at a time", model_config(tok, 2048), banner * 200 + src,
         [Hole(3, len(banner) * 200)], {}),
        ("window options: context tokens, hole tokens, slack", m, src,
         [Hole(at[0], at[0]), Hole(at[1], starts[starts.index(at[1]) + 2])],
         {"contextTokens": 100, "defaultHoleTokens": 12, "holeSlack": 3}),
        ("no BOS", model_config(tok, bos=False), src, [Hole(mid, mid, 24)], {}),
        ("healing: a piece of a word", model_config(tok, heal=True), dot + "\n", [Hole(len(dot), len(dot), 8)], {}),
        ("healing: the line break and indentation before a brace", model_config(tok, heal=True), js,
         [Hole(js.index("}\n}"), js.index("}\n}"), 8)], {}),
        ("healing, several holes in a long text", m, src, [Hole(a, a, 12) for a in at], {"tokenHealing": True}),
        ("healing at the start of the text", model_config(tok, heal=True), short, [Hole(0, 0, 8)], {}),
        ("healing after characters of several bytes", model_config(tok, heal=True), "s = 'café🙂'\n",
         [Hole(9, 9, 8), Hole(10, 10, 8)], {}),
        ("a line too long for the budget, cut on both sides of the hole (characters outside the BMP)",
         model_config(tok, 64), long_line * 3, [Hole(len(long_line) + line_mid, len(long_line) + line_mid, 8)], {}),
        ("a line cut through a character outside the BMP", m, split + "\nz = 2\n", [Hole(len(split), len(split), 8)], {}),
        ("a line too long in UTF-16 units only", m, wide + "\nz = 2\n", [Hole(len(wide), len(wide), 8)], {}),
        ("a long line cut, and the lines beyond it kept, on both sides", model_config(tok, 128),
         short + literal + "x = \n" + literal + short, [Hole(len(short + literal) + 4, len(short + literal) + 4, 8)], {}),
        ("CRLF line ends", m, src.replace("\n", "\r\n"), [Hole(mid, mid, 24)], {}),
        ("an empty text", m, "", [Hole(0, 0, 8)], {}),
        ("holes longer than the canvas", m, short, [Hole(0, 0, 200), Hole(ret, ret, 60)], {}),
        ("a replaced span whose slack passes the longest hole", m, short, [Hole(0, 40)], {"holeSlack": MAX_HOLE_TOKENS}),
    ]


def random_cases(tok, texts, n, seed):
    """Requests drawn at random: 1-4 holes (cursors, spans within a line, whole lines), lengths given or
    not, windows from 32 to 512 tokens, healing on or off."""
    rng = random.Random(seed)
    cases = []
    while len(cases) < n:
        text = rng.choice(texts)
        starts = line_starts(text)
        holes = []
        for li in sorted(rng.sample(range(len(starts)), min(len(starts), rng.randint(1, 4)))):
            s = starts[li]
            e = starts[li + 1] - 1 if li + 1 < len(starts) else len(text)
            a = rng.randint(s, e)
            b = rng.choice([a, rng.randint(a, e), e])
            holes.append(Hole(a, b, rng.choice([None, rng.randint(1, 48)]), rng.random() < 0.3 and "\n" not in text[a:b]))
        model = model_config(tok, rng.choice([32, 64, 128, 256, 512]), rng.random() < 0.8, rng.random() < 0.5)
        cases.append((f"random {len(cases)}", model, text, holes, {}))
    return cases


class Unsplit(ByteBPE):
    """tok.py for a tokenizer that does not split text into words before its merges."""

    def encode(self, text):
        return self._bpe(text) if text else []


def write_unsplit_tokenizer(path):
    """A byte-level BPE without word splitting whose first merge joins a line end to the next line's
    `c`: lines `cde` cost more tokens whole than line by line, so the window's last step (dropping
    lines until the exact count fits) runs."""
    nl = BYTE_SYMBOL[10]
    merges = [(nl, "c"), ("c", "d"), ("cd", "e")]
    vocab = {BYTE_SYMBOL[b]: b for b in range(256)}
    for a, b in merges:
        vocab[a + b] = len(vocab)
    specials = {name: len(vocab) + i for i, name in enumerate(("<|mask|>", "<|endoftext|>", "<|dlm_pad|>"))}
    doc = tokenizer_json(vocab, merges, specials)
    doc["pre_tokenizer"] = {**doc["pre_tokenizer"], "use_regex": False}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)


def line_texts(seed, n):
    rng = random.Random(seed)
    pieces = ["cde\n", "cde\n", "cd\n", "  cde\n", "c\n", "x = cde(1)\n", "\n"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(20, 400))) for _ in range(n)]


def utf16(text, i):
    return len(text[:i].encode("utf-16-le", "surrogatepass")) // 2


def engine_canvases(tmp, tokenizer, cases):
    path = os.path.join(tmp, "cases.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump([{"model": m, "text": text, "options": opts,
                    "holes": [{"start": utf16(text, h.start), "end": utf16(text, h.end), "singleLine": h.single_line,
                               **({} if h.tokens is None else {"tokens": h.tokens})} for h in holes]}
                   for _, m, text, holes, opts in cases], f)
    r = subprocess.run(["node", check_script("engine_canvas.mjs"), tokenizer, path], capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"engine_canvas.mjs failed ({r.returncode}): {r.stderr[-2000:]}")
    return json.loads(r.stdout)


def python_canvas(tok, model, text, holes, opts, defaults):
    options = CanvasOptions(max_tokens=min(model["maxContext"], opts.get("contextTokens", model["maxContext"])),
                            mask_token_id=model["maskTokenId"], bos_token_id=model["bosTokenId"],
                            default_hole_tokens=opts.get("defaultHoleTokens", defaults["defaultHoleTokens"]),
                            hole_slack=opts.get("holeSlack", defaults["holeSlack"]),
                            heal=opts.get("tokenHealing", model["tokenHealing"]))
    try:
        c = build_canvas(text, holes, tok, options)
    except ValueError as e:
        return {"error": str(e)}
    return {"ids": c.ids, "holes": [{"start": h.start, "length": h.length, "singleLine": h.single_line, "heal": h.heal}
                                    for h in c.holes], "context": c.context}


def lone_surrogates_as_replacement(s):
    """The engine's context keeps half a surrogate pair where a long line was cut; its tokenizer reads
    it as U+FFFD, which is what canvas.py keeps."""
    return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class Canvas(WorkDir):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.texts = source_texts()

    def against_engine(self, name, tokenizer, tok, src, texts):
        cases = fixed_cases(tok, src) + random_cases(tok, texts, 60, seed=len(name))
        work = os.path.join(self.tmp, name.replace(" ", "-"))
        os.makedirs(work, exist_ok=True)
        out = engine_canvases(work, tokenizer, cases)
        self.check(out["defaults"]["maxHoleTokens"] == MAX_HOLE_TOKENS, f"{name}: MAX_HOLE_TOKENS is the engine's")
        windowed = healed = 0
        for case, engine in zip(cases, out["canvases"]):
            label, model, text, holes, opts = case
            mine = python_canvas(tok, model, text, holes, opts, out["defaults"])
            if "context" in engine:
                engine["context"] = [lone_surrogates_as_replacement(c) for c in engine["context"]]
                windowed += "".join(engine["context"]) != "".join(text[(holes[i - 1].end if i else 0):h.start]
                                                                 for i, h in enumerate(holes)) + text[holes[-1].end:]
                healed += any(h["heal"] for h in engine["holes"])
            same = mine == engine
            self.check(same, f"{name}: {label}" + ("" if same else f"\n     engine {str(engine)[:400]}\n     python {str(mine)[:400]}"))
        self.check(windowed >= 10 and healed >= 5, f"{name}: the cases window the context ({windowed}) and heal ({healed})")

    def test_bundled_tokenizer_against_engine(self):
        tokenizer = TOKENIZERS["bundled"]
        self.against_engine("bundled", tokenizer, ByteBPE(tokenizer), self.texts["corpus/build.py"], list(self.texts.values()))

    def test_tiny_tokenizer_against_engine(self):
        tokenizer = TOKENIZERS["tiny"]
        self.against_engine("tiny", tokenizer, ByteBPE(tokenizer), self.texts["corpus/build.py"], list(self.texts.values()))

    def test_merges_across_lines_against_engine(self):
        path = os.path.join(self.tmp, "unsplit-tokenizer.json")
        write_unsplit_tokenizer(path)
        lines = line_texts(0, 30)
        self.against_engine("merges across lines", path, Unsplit(path), lines[0], lines[1:])

    def test_decoder_and_training(self):
        """The torch decoder's canvas and the training rows are canvas.py's, for the same requests."""
        tok = ByteBPE(TOKENIZERS["bundled"])
        text = self.texts["training/train.py"]
        at = line_starts(text)[len(line_starts(text)) // 3]
        dec = Decoder(None, tok, max_tokens=128)
        ids, start = dec.canvas(text[:at], text[at:], 24)
        want = build_canvas(text, [Hole(at, at, 24)], tok, CanvasOptions(128, dec.mask, dec.eos))
        self.check(ids[0].tolist() == want.ids and start == want.holes[0].start, "the torch decoder's canvas is canvas.py's")

        ex = Examples(tok, [text], 128, random.Random(0))
        spans = [(at, at + 30), (at + 200, at + 260)]
        answers = [tok.encode(text[a:b]) for a, b in spans]
        lengths = [len(answers[0]) + 4, len(answers[1]) + 2]  # room for each answer, whatever the text
        ids, elig, valid = ex.row(text, spans, answers, lengths)
        canvas = build_canvas(text, [Hole(a, b, n) for (a, b), n in zip(spans, lengths)], tok,
                              CanvasOptions(128, ex.mask, ex.eos))
        n = len(canvas.ids)
        context = [i for i, t in enumerate(canvas.ids) if t != ex.mask]
        self.check(len(ids) == 128 and [ids[i] for i in context] == [canvas.ids[i] for i in context]
                   and [i for i in range(128) if elig[i]] == [i for i in range(n) if i not in context]
                   and valid == [True] * n + [False] * (128 - n),
                   "a training row is canvas.py's canvas, its holes the only positions to learn, padded to seq")
        self.check(all(ids[h.start:h.start + h.length] == answer + [ex.pad] * (h.length - len(answer))
                       for h, answer in zip(canvas.holes, answers)), "each hole holds its answer, then pads")
        far = "a = 1\n" + "x" * 2000 + "\nb = 2\n"
        spans = [(0, 6), (len(far) - 6, len(far) - 1)]
        # Two holes of 8 and the BOS fill a row of 17: no room for the line between them.
        row = Examples(tok, [far], 17, random.Random(0)).row(far, spans, [tok.encode(far[a:b]) for a, b in spans], [8, 8])
        self.check(row is None, "no training row where the window keeps nothing between two holes")
