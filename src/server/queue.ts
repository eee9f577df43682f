import { HttpError } from './errors';

/**
 * At most `running` generations at once and `waiting` more in line; beyond that, 429.
 * acquire() resolves to a release function once a place is free.
 */
export class BoundedQueue {
  private active = 0;
  private readonly line: { resolve: (release: () => void) => void; reject: (e: unknown) => void }[] = [];

  constructor(
    readonly maxRunning: number,
    readonly maxWaiting: number,
    /** Seconds a refused client is told to wait (Retry-After). */
    readonly retryAfterS = 1,
  ) {}

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.line.length;
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active < this.maxRunning) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.line.length >= this.maxWaiting) {
      return Promise.reject(
        new HttpError(429, `the server is busy (${this.active} running, ${this.line.length} waiting): try again later`, {
          'Retry-After': String(this.retryAfterS),
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject };
      this.line.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.line.indexOf(entry);
          if (i !== -1) {
            this.line.splice(i, 1);
            reject(signal.reason ?? new Error('aborted'));
          }
        },
        { once: true },
      );
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.line.shift();
      if (next) next.resolve(this.releaser());
      else this.active--;
    };
  }
}
