import * as fs from 'node:fs';
import { Tokenizer } from 'tokenizers';
import { InfillError } from './errors';

/** The engine's view of a tokenizer: exact encode and decode, no special tokens added. */
export interface TextTokenizer {
  encode(text: string): Promise<number[]>;
  /** `dropSpecial` leaves out special tokens (for model output; context keeps them to round-trip). */
  decode(ids: number[], dropSpecial?: boolean): Promise<string>;
  /** Vocabulary size including added tokens. */
  readonly size: number;
  tokenText(id: number): string | null;
  /** Ids of the tokens whose text holds a line break (computed once). */
  lineBreakTokens(): Promise<Int32Array>;
}

export function loadTokenizer(file: string): TextTokenizer {
  if (!fs.existsSync(file)) throw new InfillError(`model folder has no tokenizer: ${file} is missing`);
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromFile(file);
  } catch (e) {
    throw new InfillError(`${file} is not a tokenizers file: ${(e as Error).message}`);
  }
  // Padding or truncation saved in the file would change the canvas behind the engine's back.
  tokenizer.disablePadding();
  tokenizer.disableTruncation();
  let lineBreaks: Promise<Int32Array> | undefined;
  return {
    size: tokenizer.getVocabSize(true),
    async encode(text) {
      if (text.length === 0) return [];
      const encoding = await tokenizer.encode(text, null, { addSpecialTokens: false });
      return encoding.getIds();
    },
    decode(ids, dropSpecial = false) {
      return ids.length === 0 ? Promise.resolve('') : tokenizer.decode(ids, dropSpecial);
    },
    tokenText(id) {
      return tokenizer.idToToken(id);
    },
    lineBreakTokens() {
      lineBreaks ??= (async () => {
        const size = tokenizer.getVocabSize(true);
        const texts = await tokenizer.decodeBatch(Array.from({ length: size }, (_, id) => [id]), false);
        return Int32Array.from(texts.flatMap((t, id) => (/[\r\n]/.test(t) ? [id] : [])));
      })();
      return lineBreaks;
    },
  };
}
