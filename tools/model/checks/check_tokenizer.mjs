// Checks that a tokenizer.json loads in the `tokenizers` npm package and round-trips text byte for byte;
// with --expect, that it gives the ids another encoder (corpus/tok.py, which training uses) gave, line by line.
//   node tools/model/checks/check_tokenizer.mjs MODEL_DIR_OR_TOKENIZER_JSON [TEXT_FILE...] [--expect JSONL]
// JSONL: {"text": ..., "ids": [...]} per line.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { Tokenizer } = require('tokenizers');

const argv = process.argv.slice(2);
const expectAt = argv.indexOf('--expect');
const expectFile = expectAt >= 0 ? argv.splice(expectAt, 2)[1] : null;
const [target, ...files] = argv;
const file = fs.statSync(target).isDirectory() ? path.join(target, 'tokenizer.json') : target;
const tok = Tokenizer.fromFile(file);
const samples = [
  'def f(x):\r\n\treturn x  # ünïcödé ✓ 日本語 🙂\n',
  '  \t\t  trailing spaces   \n\n\n',
  'const s = `${a}` ?? "\\u00e9";\r\n',
  ...files.map((f) => fs.readFileSync(f, 'utf8')),
];
let bad = 0;
let tokens = 0;
let bytes = 0;
for (const s of samples) {
  const enc = await tok.encode(s, null, { addSpecialTokens: false });
  const ids = enc.getIds();
  const back = await tok.decode(ids, false);
  tokens += ids.length;
  bytes += Buffer.byteLength(s);
  if (back !== s) {
    bad++;
    console.error(`round trip FAILED for ${JSON.stringify(s.slice(0, 60))}...`);
  }
}
let disagree = 0;
if (expectFile) {
  const rows = fs
    .readFileSync(expectFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  for (const { text, ids } of rows) {
    const got = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
    if (got.length !== ids.length || got.some((id, i) => id !== ids[i])) {
      disagree++;
      if (disagree <= 3) console.error(`ids differ for ${JSON.stringify(text.slice(0, 60))}...: ${got.slice(0, 12)} vs ${ids.slice(0, 12)}`);
    }
  }
  console.log(`${rows.length - disagree}/${rows.length} texts give the expected ids`);
  bad += disagree;
}
const specials = ['<|mask|>', '<|endoftext|>', '<|dlm_pad|>'].map((t) => `${t}=${tok.tokenToId(t)}`);
// The ids in model.json must be the ones the tokenizer really uses (tokenizers renumbers added
// tokens whose ids leave a gap after the vocabulary).
const cfgPath = path.join(path.dirname(file), 'model.json');
if (fs.existsSync(cfgPath)) {
  const cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
  for (const key of ['maskTokenId', 'eosTokenId', 'padTokenId', 'bosTokenId']) {
    const id = cfg[key];
    if (id === null || id === undefined) continue;
    const text = await tok.decode([id], false);
    if (tok.tokenToId(text) !== id) {
      bad++;
      console.error(`${key} ${id} decodes to ${JSON.stringify(text)} which the tokenizer maps to ${tok.tokenToId(text)}`);
    }
    if (id >= cfg.vocabSize) {
      bad++;
      console.error(`${key} ${id} >= vocabSize ${cfg.vocabSize}`);
    }
  }
}
console.log(`${samples.length - (bad - disagree)}/${samples.length} round trips OK, ${(bytes / tokens).toFixed(2)} bytes/token, ${specials.join(' ')}`);
process.exit(bad ? 1 : 0);
