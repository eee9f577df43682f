"""The engine's canvas rules (buildCanvas in src/core/canvas.ts) in Python, for the torch decoder and the
training examples: the context around the holes, tokenized apart from them, trimmed to a window of whole
lines that fits the budget, with mask tokens where the holes are.  tests/test_canvas.py holds it to the
engine's canvasFor on the same inputs.

Offsets are Python string indices.  The engine counts UTF-16 units: where that differs (a character
outside the BMP), the cut of a line too long for the budget counts UTF-16 units as the engine does, and
a cut through such a character leaves U+FFFD, as the engine's tokenizer reads a lone surrogate.
"""
import re
from dataclasses import dataclass, field
from typing import List, Optional

MAX_HOLE_TOKENS = 4096  # src/core/holes.ts
# A line longer than this many characters per remaining token cannot fit: it is cut to the part
# nearest the hole before it is tokenized.
CHARS_PER_TOKEN_BOUND = 8
# A line costing more than this share of the window's budget is long: it is cut to its part nearest the
# hole rather than left out with every line beyond it.
LONG_LINE_SHARE = 4


@dataclass
class Hole:
    """A span of the text the model writes (src/core/holes.ts Hole); end == start for a cursor."""
    start: int
    end: int
    tokens: Optional[int] = None
    single_line: bool = False


@dataclass
class CanvasOptions:
    max_tokens: int
    mask_token_id: int
    bos_token_id: Optional[int]
    # Only holes without `tokens` need these: the engine's defaults are canvasFor's business.
    default_hole_tokens: Optional[int] = None
    hole_slack: Optional[int] = None
    heal: bool = False


@dataclass
class CanvasHole:
    start: int
    length: int
    single_line: bool
    # The context's last token before the hole, moved into it (token healing); not part of the fill.
    heal: str = ""


@dataclass
class Canvas:
    ids: List[int]
    holes: List[CanvasHole]
    # The context kept before, between and after the holes: len(holes) + 1 pieces.
    context: List[str] = field(default_factory=list)


def build_canvas(text, holes, tok, options):
    """The canvas of `holes` (Hole, in order, not overlapping) in `text`; tok needs encode (and decode
    when healing)."""
    if not holes:
        raise ValueError("a canvas needs at least one hole")
    for i, h in enumerate(holes):
        if not 0 <= h.start <= h.end <= len(text):
            raise ValueError(f"hole [{h.start}, {h.end}) is outside the text (length {len(text)})")
        if i and h.start < holes[i - 1].end:
            raise ValueError(f"holes out of order or overlapping: {holes[i - 1]} then {h}")
    lengths = [hole_length(text, h, tok, options) for h in holes]
    hole_tokens = sum(lengths)
    budget = options.max_tokens - hole_tokens - (0 if options.bos_token_id is None else 1)
    if budget < 0:
        raise ValueError(f"the holes need {hole_tokens} tokens but the canvas holds {options.max_tokens}: "
                         "make them shorter or fewer")
    segments = [text[(holes[i - 1].end if i else 0):h.start] for i, h in enumerate(holes)]
    segments.append(text[holes[-1].end:])
    context, tokens = _fit_window(segments, tok, budget)
    heals = [_take_heal(context, tokens, i, tok) if options.heal else "" for i in range(len(holes))]

    ids = [] if options.bos_token_id is None else [options.bos_token_id]
    canvas_holes = []
    for i, segment in enumerate(tokens):
        ids += segment
        if i < len(holes):
            length = lengths[i] + (1 if heals[i] else 0)
            canvas_holes.append(CanvasHole(len(ids), length, holes[i].single_line, heals[i]))
            ids += [options.mask_token_id] * length
    return Canvas(ids, canvas_holes, context)


def hole_length(text, hole, tok, options):
    """Masked positions of a hole: its own length, the default for a cursor, or the replaced text's
    tokens plus the slack."""
    if hole.tokens is not None:
        return hole.tokens
    if options.default_hole_tokens is None or options.hole_slack is None:
        raise ValueError(f"{hole} has no length: give it tokens, or give the options default_hole_tokens and hole_slack")
    if hole.end == hole.start:
        return options.default_hole_tokens
    replaced = count_tokens_up_to(text[hole.start:hole.end], tok, MAX_HOLE_TOKENS)
    return min(MAX_HOLE_TOKENS, replaced + options.hole_slack)


def count_tokens_up_to(text, tok, cap):
    """The tokens of `text`, or at least `cap` when it has more, counted a chunk of lines at a time."""
    if len(text) <= cap * 4:
        return len(tok.encode(text))
    count = at = 0
    while at < len(text) and count < cap:
        chunk_end = text.find("\n", at + cap)
        end = len(text) if chunk_end == -1 else chunk_end + 1
        count += len(tok.encode(text[at:end]))
        at = end
    return count


def _take_heal(context, tokens, i, tok):
    """Takes the last token of the context before hole i off the context, and returns its text."""
    if not tokens[i]:
        return ""
    text = tok.decode([tokens[i][-1]])
    # Only a token that decodes to exactly the context's end (not a piece of a character).
    if text == "" or not context[i].endswith(text):
        return ""
    tokens[i] = tokens[i][:-1]
    context[i] = context[i][:-len(text)]
    return text


def _lines(segment):
    return [line for line in re.split(r"(?<=\n)", segment) if line]


def _utf16_len(s):
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)


def _utf16_cut(s, limit, head):
    """The first (head) or last `limit` UTF-16 units of s; half a surrogate pair reads as U+FFFD."""
    units = s.encode("utf-16-le", "surrogatepass")
    kept = units[:2 * limit] if head else units[len(units) - 2 * limit:]
    return kept.decode("utf-16-le", "replace")


def _cut_to_tokens(line, tokens, head, tok):
    """The part of `line` nearest the hole (its start when `head`, else its end) of at most `tokens` tokens."""
    n = _utf16_len(line)
    piece = line
    cost = len(tok.encode(piece))
    while cost > tokens:
        n = min(n - 1, n * tokens // cost)
        piece = _utf16_cut(line, n, head)
        cost = len(tok.encode(piece))
    return piece, cost


def _fit_window(segments, tok, budget):
    """Keeps, for every segment, the whole lines nearest its holes, growing all edges in turn (a line at
    a time, the segment before a hole from its end, the one after from its start) until the budget is
    spent; a long line (LONG_LINE_SHARE) is cut to its part nearest the hole."""
    lines = [_lines(s) for s in segments]
    last = len(segments) - 1
    edges = []  # [segment, side, open]
    for i in range(len(segments)):
        if i > 0:
            edges.append([i, "head", True])
        if i < last:
            edges.append([i, "tail", True])
    kept = [{"head": 0, "tail": 0, "total": len(ls)} for ls in lines]
    long_line = budget // LONG_LINE_SHARE
    remaining = budget
    while any(e[2] for e in edges):
        for edge in edges:
            segment, side, is_open = edge
            if not is_open:
                continue
            k = kept[segment]
            if k["head"] + k["tail"] >= k["total"]:
                edge[2] = False
                continue
            index = k["head"] if side == "head" else k["total"] - 1 - k["tail"]
            line = lines[segment][index]
            # No token holds more than CHARS_PER_TOKEN_BOUND characters: a line this long costs more than long_line.
            long = _utf16_len(line) > long_line * CHARS_PER_TOKEN_BOUND
            limit = max(1, remaining) * CHARS_PER_TOKEN_BOUND
            if len(line) > limit or (2 * len(line) > limit and _utf16_len(line) > limit):
                line = lines[segment][index] = _utf16_cut(line, limit, side == "head")
            cost = len(tok.encode(line))
            if cost > remaining:
                room = min(remaining, long_line)
                if not (long or cost > long_line) or room == 0:
                    edge[2] = False
                    continue
                line, cost = _cut_to_tokens(line, room, side == "head", tok)
                if cost == 0:
                    edge[2] = False
                    continue
                lines[segment][index] = line
            remaining -= cost
            k[side] += 1
    # Tokenizing whole segments can merge across line ends differently from line by line: drop the
    # farthest line of the largest segment until the exact count fits.
    while True:
        context = [_kept_text(ls, k) for ls, k in zip(lines, kept)]
        tokens = [tok.encode(c) for c in context]
        if sum(len(t) for t in tokens) <= budget:
            return context, tokens
        largest = max(range(len(tokens)), key=lambda i: (len(tokens[i]), -i))
        k = kept[largest]
        if largest == 0 or (largest < last and k["tail"] > k["head"]):
            k["tail"] -= 1
        else:
            k["head"] -= 1


def _kept_text(lines, k):
    if k["head"] + k["tail"] >= k["total"]:
        return "".join(lines)
    return "".join(lines[:k["head"]]) + "".join(lines[k["total"] - k["tail"]:])
