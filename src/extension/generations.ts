import { DraftEvent, InfillAborted, InfillEvent, InfillRequest, ResultEvent } from '../core';
import { Emitter } from './emitter';

const CANCELLED = Symbol('cancelled');

/** What asked for a generation; the Drafts panel follows any of them. */
export type GenerationKind = 'inline' | 'fill' | 'refactor';

export interface GenerationEvent {
  id: number;
  kind: GenerationKind;
  event: InfillEvent;
}

export type GenerationOutcome = { status: 'done'; result: ResultEvent } | { status: 'cancelled' } | { status: 'failed'; error: Error };

export interface GenerationEnd {
  id: number;
  kind: GenerationKind;
  outcome: GenerationOutcome;
}

/** What a generation runs: the engine's stream of events for its request (an infill, or a repair's plan). */
export type EventStream = (signal: AbortSignal) => AsyncIterable<InfillEvent>;

/** One running call of the engine, with its own abort and its own listeners. */
export class Generation {
  private readonly abortController = new AbortController();
  private draft: DraftEvent | undefined;
  private readonly events = new Emitter<InfillEvent>();
  /** This generation's drafts and result, each once; whoever follows every generation listens on Generations. */
  readonly onDidEvent = this.events.event;
  /** Settles when the engine stops; never rejects. */
  readonly outcome: Promise<GenerationOutcome>;

  constructor(
    readonly id: number,
    readonly kind: GenerationKind,
    readonly request: InfillRequest,
    run: (generation: Generation, signal: AbortSignal) => Promise<GenerationOutcome>,
  ) {
    this.outcome = run(this, this.abortController.signal);
  }

  get latestDraft(): DraftEvent | undefined {
    return this.draft;
  }

  get cancelled(): boolean {
    return this.abortController.signal.aborted;
  }

  cancel(): void {
    this.abortController.abort();
  }

  /** Called by Generations for each event: this generation's listeners hear of it first. */
  deliver(event: InfillEvent): void {
    if (event.type === 'draft') this.draft = event;
    this.events.fire(event);
  }

  /** Called by Generations once the engine has stopped. */
  close(): void {
    this.events.dispose();
  }
}

/**
 * Every generation of the extension goes through here, so that whoever wants to watch drafts (the
 * status bar, the decorations, a drafts panel) listens in one place, and so that one command can
 * cancel whatever is running. One generation runs at a time: the model is one CPU-bound session
 * and two generations would each run at half speed.
 */
export class Generations {
  private readonly events = new Emitter<GenerationEvent>();
  private readonly starts = new Emitter<Generation>();
  private readonly ends = new Emitter<GenerationEnd>();
  readonly onDidEvent = this.events.event;
  readonly onDidStart = this.starts.event;
  readonly onDidEnd = this.ends.event;
  private nextId = 1;
  private current: Generation | undefined;

  get running(): Generation | undefined {
    return this.current;
  }

  /**
   * Starts a generation, cancelling the one that runs. An inline completion is the exception: it
   * never interrupts a fill or a refactor the user asked for explicitly, and gets undefined.
   */
  start(kind: GenerationKind, request: InfillRequest, stream: EventStream): Generation | undefined {
    if (this.current && kind === 'inline' && this.current.kind !== 'inline') return undefined;
    this.current?.cancel();
    const generation = new Generation(this.nextId++, kind, request, (g, signal) => this.run(g, stream, signal));
    this.current = generation;
    this.starts.fire(generation);
    return generation;
  }

  /** Cancels the running generation; true if there was one. */
  cancel(): boolean {
    const running = this.current;
    if (!running) return false;
    running.cancel();
    return true;
  }

  dispose(): void {
    this.current?.cancel();
    this.events.dispose();
    this.starts.dispose();
    this.ends.dispose();
  }

  private async run(generation: Generation, stream: EventStream, signal: AbortSignal): Promise<GenerationOutcome> {
    // Let the constructor finish (and `current` be set) before the first event is fired.
    await Promise.resolve();
    let outcome: GenerationOutcome;
    const events = stream(signal)[Symbol.asyncIterator]();
    // A cancel ends the generation at once, not when the engine next yields (a forward later):
    // whoever shows its drafts clears them now, and none is delivered after.
    const cancelled = new Promise<typeof CANCELLED>((resolve) => {
      if (signal.aborted) resolve(CANCELLED);
      else signal.addEventListener('abort', () => resolve(CANCELLED), { once: true });
    });
    try {
      let result: ResultEvent | undefined;
      for (;;) {
        const pending = events.next();
        const next = await Promise.race([pending, cancelled]);
        if (next === CANCELLED) {
          // The engine stops at its next look at the signal; what it says then is no one's business.
          pending.then(() => events.return?.(undefined)).catch(() => undefined);
          break;
        }
        if (next.done) break;
        const event = next.value;
        if (event.type === 'result') result = event;
        generation.deliver(event);
        this.events.fire({ id: generation.id, kind: generation.kind, event });
      }
      if (signal.aborted) outcome = { status: 'cancelled' };
      else if (result) outcome = { status: 'done', result };
      else outcome = { status: 'failed', error: new Error('the engine ended without a result') };
    } catch (e) {
      outcome = e instanceof InfillAborted || signal.aborted ? { status: 'cancelled' } : { status: 'failed', error: e as Error };
    }
    if (this.current === generation) this.current = undefined;
    generation.close();
    this.ends.fire({ id: generation.id, kind: generation.kind, outcome });
    return outcome;
  }
}
