import * as assert from 'node:assert/strict';
import { DraftEvent, InfillEvent, ResultEvent } from '../../../src/core';

/** Runs a generation to its end: its drafts, and the result that must close it. */
export async function collect(events: AsyncGenerator<InfillEvent>): Promise<{ drafts: DraftEvent[]; result: ResultEvent }> {
  const drafts: DraftEvent[] = [];
  let result: ResultEvent | undefined;
  for await (const e of events) {
    if (e.type === 'draft') drafts.push(e);
    else result = e;
  }
  assert.ok(result, 'a result event ends the stream');
  return { drafts, result };
}
