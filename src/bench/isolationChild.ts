// The child process of `npm run bench:isolation`: the ONNX network on its own main thread,
// answering forwards over IPC, as the extension would if the model ran in a child process.
import { OnnxLogitsModel } from '../core/onnxModel';
import { readModelConfig } from '../core/modelConfig';

const dir = process.argv[2];
const send = (m: unknown) => process.send!(m);

OnnxLogitsModel.load(dir, readModelConfig(dir)).then(
  (model) => {
    send({ kind: 'ready' });
    process.on('message', async (m: { kind: string; id: number; ids: Int32Array; rows: number[] }) => {
      if (m.kind === 'dispose') {
        await model.dispose();
        process.exit(0);
      }
      const logits = await model.logits(m.ids, m.rows);
      // 'logits': the rows cross back as they are; 'choices': only each row's best token does, as
      // the worker thread sends its proposals (sampling where the logits are).
      send({ kind: 'answer', id: m.id, answer: m.kind === 'logits' ? logits : argmaxRows(logits, model.vocabSize) });
    });
  },
  (e: Error) => {
    send({ kind: 'failed', message: e.message });
    process.exit(1);
  },
);

function argmaxRows(logits: Float32Array, vocab: number): Int32Array {
  const out = new Int32Array(logits.length / vocab);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let v = 1; v < vocab; v++) if (logits[r * vocab + v] > logits[r * vocab + best]) best = v;
    out[r] = best;
  }
  return out;
}
