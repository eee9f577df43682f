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
  /** Each token's text, by id (computed once). */
  tokenTexts(): Promise<readonly string[]>;
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
  let texts: Promise<string[]> | undefined;
  let lineBreaks: Promise<Int32Array> | undefined;
  const tokenTexts = () =>
    (texts ??= tokenizer.decodeBatch(
      Array.from({ length: tokenizer.getVocabSize(true) }, (_, id) => [id]),
      false,
    ));
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
    tokenTexts,
    lineBreakTokens() {
      lineBreaks ??= tokenTexts().then((all) => Int32Array.from(all.flatMap((t, id) => (/[\r\n]/.test(t) ? [id] : []))));
      return lineBreaks;
    },
  };
}
