import { applyFills, DraftEvent, MASK_PLACEHOLDER } from '../core';
import type { Hole } from '../core';

/** How the CLI shows drafts while the model works: on a terminal, or as plain progress lines. */
export interface DraftRenderer {
  draft(event: DraftEvent): void;
  done(): void;
}

/** Plain progress, one line a step: for logs and pipes. */
export function progressLines(out: NodeJS.WritableStream): DraftRenderer {
  return {
    draft(e) {
      const masked = e.holes.reduce((a, h) => a + h.masked, 0);
      out.write(`step ${e.step}/${e.steps}: ${e.committed.length} committed, ${masked} masked\n`);
    },
    done() {},
  };
}

/** Redraws the lines around the holes in place after every step, masked positions dimmed. */
export function liveCanvas(out: NodeJS.WritableStream & { columns?: number }, text: string, holes: Hole[]): DraftRenderer {
  let drawn = 0;
  const firstLine = text.slice(0, holes[0].start).split('\n').length - 1;
  return {
    draft(e) {
      const filled = applyFills(
        text,
        holes,
        e.holes.map((h) => h.text),
      );
      const lastHoleEnd = filled.length - (text.length - holes[holes.length - 1].end);
      const lastLine = filled.slice(0, lastHoleEnd).split('\n').length - 1;
      const width = (out.columns ?? 100) - 1;
      const lines = filled
        .split('\n')
        .slice(Math.max(0, firstLine - 2), Math.min(lastLine + 3, firstLine + 40))
        .map((l) => l.slice(0, width).replaceAll(MASK_PLACEHOLDER, `\x1b[2m${MASK_PLACEHOLDER}\x1b[22m`));
      const header = `\x1b[1mstep ${e.step}/${e.steps}\x1b[22m`;
      out.write((drawn ? `\x1b[${drawn}F\x1b[J` : '') + [header, ...lines].join('\n') + '\n');
      drawn = lines.length + 1;
    },
    done() {
      if (drawn) out.write(`\x1b[${drawn}F\x1b[J`);
    },
  };
}
