import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from 'tokenizers';
import { convertCheckpoint } from '../../../src/convert/convert';
import { ConvertError } from '../../../src/convert/convertError';
import { layoutOf } from '../../../src/convert/layouts';
import { byteSymbols, writeTinyDream } from '../support/checkpoint';
import { tempDir } from '../support/fixtures';

const QWEN2 = { hidden_size: 32, intermediate_size: 48, num_attention_heads: 4, num_hidden_layers: 2, num_key_value_heads: 2, vocab_size: 300 };

describe('convert: layouts are told from config.json, never from a name', () => {
  it('an a2d-qwen2 checkpoint reads its logits in place, a Dream one shifted', () => {
    const a2d = layoutOf({ model_type: 'a2d-qwen2', architectures: ['A2DQwen2LMHeadModel'], ...QWEN2 });
    assert.equal(a2d.name, 'a2d-qwen2');
    assert.equal(a2d.arch({ model_type: 'a2d-qwen2', ...QWEN2 }).logitsShifted, false);
    const dream = layoutOf({ model_type: 'Dream', architectures: ['DreamModel'], ...QWEN2 });
    assert.equal(dream.arch({ model_type: 'Dream', ...QWEN2 }).logitsShifted, true);
  });

  for (const [what, cfg, says] of [
    [
      'a block-causal model',
      { model_type: 'sdar', architectures: ['SDARForCausalLM'] },
      /block-causal model: a block sees only the blocks before it, so a hole cannot see the code after it/,
    ],
    ['a mixture of experts', { model_type: 'llada_moe', architectures: ['LLaDAMoEModelLM'] }, /mixture of experts/],
    [
      'an unknown model_type',
      { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] },
      /model_type "gpt2" .* is not a layout the builder reads; it reads dream/,
    ],
  ] as const) {
    it(`refuses ${what}, saying why`, () => {
      assert.throws(
        () => layoutOf(cfg),
        (e: Error) => e instanceof ConvertError && says.test(e.message),
      );
    });
  }
});

describe('convert: special tokens come from the checkpoint', function () {
  this.timeout(60000);
  let t: ReturnType<typeof tempDir>;
  let ck: string;
  const edit = (file: string, change: (doc: Record<string, unknown>) => void) => {
    const doc = JSON.parse(fs.readFileSync(path.join(ck, file), 'utf8'));
    change(doc);
    fs.writeFileSync(path.join(ck, file), JSON.stringify(doc));
  };
  beforeEach(() => {
    t = tempDir();
    ck = path.join(t.dir, 'ck');
    writeTinyDream(ck);
  });
  afterEach(() => t.remove());
  const build = (special = {}) =>
    convertCheckpoint(ck, path.join(t.dir, 'out'), { precision: 'float32', blockSize: 32, cache: true, special, overwrite: true });

  it("finds a mask that only added_tokens.json names (Open-dCoder's <M>)", () => {
    edit('config.json', (c) => {
      c.model_type = 'qwen2';
      c.architectures = ['Qwen2ForCausalLM'];
      delete c.mask_token_id;
    });
    edit('tokenizer.json', (tok) => {
      (tok.added_tokens as { content: string }[]).splice(1, 2); // the tokenizer.json knows only <|endoftext|>
    });
    fs.writeFileSync(path.join(ck, 'added_tokens.json'), JSON.stringify({ '<|endoftext|>': 256, '<M>': 257 }));
    fs.rmSync(path.join(ck, 'tokenizer.json'));
    fs.writeFileSync(path.join(ck, 'vocab.json'), JSON.stringify(Object.fromEntries(byteSymbols().map((s, b) => [s, b]))));
    fs.writeFileSync(path.join(ck, 'merges.txt'), '#version: 0.2\n');
    const doc = build();
    assert.equal(doc.maskTokenId, 257);
    assert.equal(doc.padTokenId, 256, 'pad is the end token');
  });

  it('refuses a checkpoint without a findable mask, naming where it looked; a flag gives one', () => {
    edit('config.json', (c) => delete c.mask_token_id);
    edit('tokenizer.json', (tok) => (tok.added_tokens = (tok.added_tokens as { content: string }[]).filter((a) => a.content !== '<|mask|>')));
    assert.throws(
      () => build(),
      (e: Error) =>
        /no mask token: looked for mask_token_id in config\.json and generation_config\.json, mask_token in tokenizer_config\.json, and <\|mask\|> among the tokenizer's tokens/.test(
          e.message,
        ),
    );
    assert.equal(build({ mask: 258 }).maskTokenId, 258);
  });

  it("takes the pad a Dream model was trained with (<|dlm_pad|>) over config's pad_token_id", () => {
    assert.equal(build().padTokenId, 258);
  });
});

describe('convert: a tokenizer from vocab.json and merges.txt', function () {
  this.timeout(60000);
  it('gives the same ids as the tokenizer.json a Qwen2 repo ships for the same files', async () => {
    const t = tempDir();
    try {
      const ck = path.join(t.dir, 'ck');
      writeTinyDream(ck);
      const sym = byteSymbols();
      const merges: [string, string][] = [
        [sym[32], sym[32]],
        ['d', 'e'],
        ['de', 'f'],
        ['r', 'e'],
        ['re', 't'],
        [sym[32], 'ret'],
      ];
      const vocab: Record<string, number> = Object.fromEntries(sym.map((s, b) => [s, b]));
      for (const [a, b] of merges) vocab[a + b] = Object.keys(vocab).length;
      const first = Object.keys(vocab).length;
      const added = { '<|endoftext|>': first, '<|mask|>': first + 1, '<|dlm_pad|>': first + 2 };
      // The tokenizer.json Qwen2's repos ship, as transformers' Qwen2TokenizerFast writes it.
      const shipped = {
        version: '1.0',
        added_tokens: Object.entries(added).map(([content, id]) => ({
          id,
          content,
          single_word: false,
          lstrip: false,
          rstrip: false,
          normalized: false,
          special: true,
        })),
        normalizer: { type: 'NFC' },
        pre_tokenizer: {
          type: 'Sequence',
          pretokenizers: [
            {
              type: 'Split',
              pattern: {
                Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
              },
              behavior: 'Isolated',
              invert: false,
            },
            { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
          ],
        },
        post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
        decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
        model: {
          type: 'BPE',
          dropout: null,
          unk_token: null,
          continuing_subword_prefix: '',
          end_of_word_suffix: '',
          fuse_unk: false,
          byte_fallback: false,
          ignore_merges: false,
          vocab,
          merges: merges.map((m) => m.join(' ')),
        },
      };
      fs.writeFileSync(path.join(t.dir, 'shipped.json'), JSON.stringify(shipped));
      fs.rmSync(path.join(ck, 'tokenizer.json'));
      fs.writeFileSync(path.join(ck, 'vocab.json'), JSON.stringify(vocab));
      fs.writeFileSync(path.join(ck, 'merges.txt'), '#version: 0.2\n' + merges.map((m) => m.join(' ')).join('\n') + '\n');
      fs.writeFileSync(path.join(ck, 'added_tokens.json'), JSON.stringify(added));
      const cfg = JSON.parse(fs.readFileSync(path.join(ck, 'config.json'), 'utf8'));
      fs.writeFileSync(
        path.join(ck, 'config.json'),
        JSON.stringify({ ...cfg, eos_token_id: first, mask_token_id: first + 1, pad_token_id: first, bos_token_id: first }),
      );
      const out = path.join(t.dir, 'out');
      convertCheckpoint(ck, out, { precision: 'float32', blockSize: 32, cache: true, special: {} });
      const built = Tokenizer.fromFile(path.join(out, 'tokenizer.json'));
      const ref = Tokenizer.fromFile(path.join(t.dir, 'shipped.json'));
      const texts = [
        'def ret(x):\n    return x  # ok\r\n',
        "it's 1234 cafe\u0301 <|mask|><|mask|>\n\n\tend",
        'Ünïcödé  spaces   and\n\n\nlines',
        '<|endoftext|>def f(): pass',
      ];
      for (const text of texts) {
        const a = (await built.encode(text, null, { addSpecialTokens: false })).getIds();
        const b = (await ref.encode(text, null, { addSpecialTokens: false })).getIds();
        assert.deepEqual(a, b, JSON.stringify(text));
      }
    } finally {
      t.remove();
    }
  });
});
