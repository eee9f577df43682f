import type { ServerResponse } from 'node:http';

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
      contentType: 'text/event-stream; charset=utf-8',
      write: (event) => res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`),
    };
  }
  return {
    contentType: 'application/x-ndjson; charset=utf-8',
    write: (event) => res.write(JSON.stringify(event) + '\n'),
  };
}
