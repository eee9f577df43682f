/** Bad input from the user or a model folder: shown as is, never with a stack trace. */
export class InfillError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfillError';
  }
}

/** Raised when an AbortSignal stops a generation; callers treat it as a quiet stop, not a failure. */
export class InfillAborted extends Error {
  constructor() {
    super('generation cancelled');
    this.name = 'InfillAborted';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InfillAborted();
}
