import { canBatch, LogitsModel } from './logitsModel';
import type { Proposal, ProposeRequest } from './logitsModel';

type Call = { ids: Int32Array; reject: (e: unknown) => void } & (
  { rows: number[]; resolve: (logits: Float32Array) => void } | { request: ProposeRequest; resolve: (proposals: Proposal[]) => void }
);

/**
 * Generations stepped together by one driver, sharing each forward: every member is the network
 * of one generation, and their calls go to the network as one batch once no member is still
 * working towards its call, that is once each is waiting on a forward or parked (its driver holds
 * its last step: `round`).  A length search runs its candidates so, a forward a round.
 */
export class Lockstep {
  private running = 0;
  private waiting: Call[] = [];
  private busy = false;

  constructor(private readonly network: LogitsModel) {}

  /**
   * Runs one step of each member's generation (each up to its next yield, or its end) together: a
   * member counts as working until its step returns, so the others' calls wait for its call.
   */
  round<T>(steps: (() => Promise<T>)[]): Promise<T[]> {
    this.running += steps.length;
    return Promise.all(
      steps.map((step) =>
        step().finally(() => {
          this.running--;
          this.flush();
        }),
      ),
    );
  }

  /** A network for one member. */
  member(): LogitsModel {
    const network = this.network;
    const call = (c: Call) => {
      this.running--;
      this.waiting.push(c);
      this.flush();
    };
    return {
      vocabSize: network.vocabSize,
      logits: (ids, rows) => new Promise((resolve, reject) => call({ ids: Int32Array.from(ids), rows: [...rows], resolve, reject })),
      ...(network.propose && {
        propose: (ids: Int32Array, request: ProposeRequest) =>
          new Promise<Proposal[]>((resolve, reject) => call({ ids: Int32Array.from(ids), request, resolve, reject })),
      }),
      forget: (cacheId) => network.forget?.(cacheId),
      dispose: async () => {},
    };
  }

  private flush(): void {
    if (this.busy || this.running > 0 || this.waiting.length === 0) return;
    this.busy = true;
    const round = this.waiting;
    this.waiting = [];
    void this.run(round).finally(() => {
      this.busy = false;
      this.flush();
    });
  }

  private async run(round: Call[]): Promise<void> {
    const proposing = round.filter((c): c is Extract<Call, { request: ProposeRequest }> => 'request' in c);
    const scoring = round.filter((c): c is Extract<Call, { rows: number[] }> => 'rows' in c);
    const network = this.network;
    const settle = async <C extends Call, R>(calls: C[], answers: () => Promise<R[]>, answer: (c: C, r: R) => void) => {
      if (calls.length === 0) return;
      try {
        const out = await answers();
        // Each member works again from the moment its answer is given, until it calls or parks.
        calls.forEach((c, i) => {
          this.running++;
          answer(c, out[i]);
        });
      } catch (e) {
        calls.forEach((c) => {
          this.running++;
          c.reject(e);
        });
      }
    };
    await Promise.all([
      settle(
        proposing,
        () =>
          canBatch(network) && network.proposeBatch
            ? network.proposeBatch(
                proposing.map((c) => c.ids),
                proposing.map((c) => c.request),
              )
            : Promise.all(proposing.map((c) => network.propose!(c.ids, c.request))),
        (c, r) => c.resolve(r),
      ),
      settle(
        scoring,
        () =>
          canBatch(network)
            ? byLength(scoring, (group) =>
                network.logitsBatch(
                  group.map((c) => c.ids),
                  group.map((c) => c.rows),
                ),
              )
            : Promise.all(scoring.map((c) => network.logits(c.ids, c.rows))),
        (c, r) => c.resolve(r),
      ),
    ]);
  }
}

/** `run` on each group of calls whose canvases have one length, the answers back in the calls' order. */
async function byLength<C extends { ids: Int32Array }, R>(calls: C[], run: (group: C[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = new Array(calls.length);
  const groups = new Map<number, number[]>();
  calls.forEach((c, i) => groups.set(c.ids.length, [...(groups.get(c.ids.length) ?? []), i]));
  for (const members of groups.values()) {
    const answers = await run(members.map((i) => calls[i]));
    members.forEach((i, j) => (out[i] = answers[j]));
  }
  return out;
}
