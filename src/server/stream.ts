import type { ServerResponse } from 'node:http';
import { NDJSON_TYPE, SSE_TYPE } from '../core/protocol';

/** Writes events one by one: NDJSON lines, or server-sent events when the client asked for them. */
export interface EventWriter {
  readonly contentType: string;
  write(event: { type: string }): void;
}

export function wantsSse(accept: string | undefined): boolean {
  return /\btext\/event-stream\b/i.test(accept ?? '');
}

export function eventWriter(res: ServerResponse, sse: boolean): EventWriter {
  if (sse) {
    return {
      contentType: `${SSE_TYPE}; charset=utf-8`,
      write: (event) => res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`),
    };
  }
  return {
    contentType: `${NDJSON_TYPE}; charset=utf-8`,
    write: (event) => res.write(JSON.stringify(event) + '\n'),
  };
}
