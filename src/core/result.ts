import { FilledHole, GenerationStats, ResultEvent } from './events';
import { resultHole } from './fillRules';
import { applyFills, InfillRequest } from './holes';
import { numberOption } from './optionTable';

/** The floor a result's holes are held to when the request sets none. */
export const MIN_CONFIDENCE_FALLBACK = numberOption('minConfidence').fallback as number;

/** The request a result answers: the document, its holes (validated), and the floor of InfillOptions.minConfidence. */
export interface FillDocument extends InfillRequest {
  minConfidence?: number;
  /**
   * The holes are runs of tokens decided again inside code (a repair): the rules for a fill that
   * runs into the code after it (the next line, the blanks it ends with) would cut the code itself.
   */
  inPlace?: boolean;
}

/**
 * The last event of every generation, local or remote: the document with its holes filled, each
 * fill through the fill rules once (fillRules/) and judged against the confidence floor, and the figures.
 */
export function resultEvent(
  document: FillDocument,
  fills: FilledHole[],
  figures: Omit<GenerationStats, 'msPerStep' | 'tokensPerStep' | 'elapsedMs'> & { started: number },
): ResultEvent {
  const { text, holes } = document;
  const { started, ...rest } = figures;
  const elapsedMs = performance.now() - started;
  const filled = fills.map((f, i) => resultHole(f, holes[i], text, document.minConfidence ?? MIN_CONFIDENCE_FALLBACK, document.inPlace));
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
