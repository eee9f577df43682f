import { InfillError } from '../core/errors';

/** A checkpoint the builder cannot turn into a model folder, or a write that failed; the message names the file and tensor. */
export class ConvertError extends InfillError {
  constructor(message: string) {
    super(message);
    this.name = 'ConvertError';
  }
}
