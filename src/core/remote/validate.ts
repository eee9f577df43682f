import { InfillError } from '../errors';
import { InfillEvent } from '../events';

/** Checks that a parsed object is a draft or result event for `holes` holes; returns it typed. */
export function checkEvent(value: unknown, holes: number, where: string): InfillEvent {
  const bad = (what: string): never => {
    throw new InfillError(`${where}: ${what}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('expected a JSON object');
  const e = value as Record<string, unknown>;
  const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const checkHoles = (list: unknown, withMasked: boolean) => {
    if (!Array.isArray(list) || list.length !== holes) bad(`"holes" must be an array of ${holes} (one per hole)`);
    (list as unknown[]).forEach((h, i) => {
      const hole = h as Record<string, unknown>;
      if (typeof h !== 'object' || h === null || typeof hole.text !== 'string') bad(`holes[${i}].text must be a string`);
      if (withMasked && !isNum(hole.masked)) bad(`holes[${i}].masked must be a number`);
      if (!withMasked && hole.confidence !== undefined && !isNum(hole.confidence)) bad(`holes[${i}].confidence must be a number when given`);
    });
  };
  if (e.type === 'error') bad(`the server failed: ${typeof e.message === 'string' ? e.message : JSON.stringify(e)}`);
  if (e.type === 'draft') {
    if (!isNum(e.step) || !isNum(e.steps)) bad('a draft needs numeric "step" and "steps"');
    checkHoles(e.holes, true);
    if (!Array.isArray(e.committed)) bad('a draft needs a "committed" array');
    (e.committed as unknown[]).forEach((c, i) => {
      const t = c as Record<string, unknown>;
      if (typeof c !== 'object' || c === null || !['pos', 'hole', 'offset', 'token', 'confidence'].every((k) => isNum(t[k])) || typeof t.text !== 'string') {
        bad(`committed[${i}] must have numeric pos, hole, offset, token, confidence and a string text`);
      }
    });
    return value as InfillEvent;
  }
  if (e.type === 'result') {
    if (typeof e.text !== 'string') bad('a result needs a string "text"');
    checkHoles(e.holes, false);
    const s = e.stats as Record<string, unknown> | undefined;
    if (typeof s !== 'object' || s === null) bad('a result needs "stats"');
    for (const k of ['steps', 'canvasTokens', 'maskedTokens', 'elapsedMs', 'msPerStep', 'tokensPerStep', 'seed']) if (!isNum(s![k])) bad(`stats.${k} must be a number`);
    for (const k of ['model', 'device']) if (typeof s![k] !== 'string') bad(`stats.${k} must be a string`);
    return value as InfillEvent;
  }
  return bad(`unknown event type ${JSON.stringify(e.type)} (expected "draft" or "result")`);
}
