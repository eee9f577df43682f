import { FilledHole, GenerationStats, ResultEvent } from './events';
import { cleanFill } from './fillRules';
import { applyFills, Hole } from './holes';

/** The last event of every generation: the document with its holes filled, and the figures. */
export function resultEvent(
  text: string,
  holes: Hole[],
  fills: FilledHole[],
  figures: Omit<GenerationStats, 'msPerStep' | 'tokensPerStep' | 'elapsedMs'> & { started: number },
): ResultEvent {
  const { started, ...rest } = figures;
  const elapsedMs = performance.now() - started;
  const filled = fills.map((f, i) => cleanFill(f, holes[i], text));
  return {
    type: 'result',
    text: applyFills(
      text,
      holes,
      filled.map((f) => f.text),
    ),
    holes: filled,
    stats: {
      ...rest,
      elapsedMs,
      msPerStep: rest.steps ? elapsedMs / rest.steps : 0,
      tokensPerStep: rest.steps ? rest.maskedTokens / rest.steps : 0,
    },
  };
}
