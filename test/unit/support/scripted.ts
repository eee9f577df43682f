import { LogitsModel } from '../../../src/core/logitsModel';
import { resolveSampler, SamplerSettings } from '../../../src/core/options';

/** A network whose logits the test chooses: row(ids, index) gives the logits at sequence index `index`. */
export class ScriptedModel implements LogitsModel {
  readonly calls: number[][] = [];
  constructor(
    readonly vocabSize: number,
    private readonly row: (ids: Int32Array, index: number) => number[],
  ) {}

  async logits(ids: Int32Array, rows: number[]): Promise<Float32Array> {
    this.calls.push([...rows]);
    const out = new Float32Array(rows.length * this.vocabSize);
    rows.forEach((r, i) => out.set(this.row(ids, r), i * this.vocabSize));
    return out;
  }

  async dispose(): Promise<void> {}
}

/** Logits that depend on the whole canvas and the row, all distinct: a stand-in for a real network. */
export function pseudoNetwork(vocab: number, seed = 1): (ids: Int32Array, index: number) => number[] {
  return (ids, index) => {
    let h = seed * 2654435761;
    for (let i = 0; i < ids.length; i++) h = Math.imul(h ^ ids[i], 16777619) + i;
    return Array.from({ length: vocab }, (_, v) => 4 * Math.sin(0.917 * (v + 1) * (index + 3) + (h % 1000) * 0.0131 + seed));
  };
}

export function sampler(settings: SamplerSettings) {
  return resolveSampler(settings);
}
