/** Shown in a draft where a position is still masked. */
export const MASK_PLACEHOLDER = '░';

export interface CommittedToken {
  /** Index in the canvas. */
  pos: number;
  hole: number;
  /** Index within the hole. */
  offset: number;
  token: number;
  text: string;
  /** Probability of the token when it was committed. */
  confidence: number;
}

export interface DraftHole {
  /** The hole's text so far: committed tokens, MASK_PLACEHOLDER where still masked, cut at end-of-text or pad. */
  text: string;
  masked: number;
}

/**
 * The canvas after one step. A step is whatever makes a draft: a denoising step of a model run here
 * or behind `serve`, a streamed chunk of an OpenAI-compatible endpoint (which has no steps of its own).
 */
export interface DraftEvent {
  type: 'draft';
  step: number;
  /** The steps expected in all, as far as the engine knows (a remote stream's grows as it goes). */
  steps: number;
  holes: DraftHole[];
  committed: CommittedToken[];
}

export interface GenerationStats {
  model: string;
  device: string;
  /** The drafts it made: steps as DraftEvent counts them. */
  steps: number;
  canvasTokens: number;
  maskedTokens: number;
  elapsedMs: number;
  msPerStep: number;
  tokensPerStep: number;
  seed: number;
}

export interface FilledHole {
  text: string;
  /**
   * How sure the model was of this fill: the geometric mean of the probabilities of the tokens it
   * committed for it, its end token included. Absent where the engine cannot tell (fill-in-the-middle endpoints).
   */
  confidence?: number;
}

/** A hole of the result: its fill after the fill rules (fillRules/), and the verdict on it. */
export interface ResultHole extends FilledHole {
  /**
   * The model was less sure of the fill than InfillOptions.minConfidence: an editor offers it only
   * when asked for outright. Never set where the engine gives no confidence.
   */
  heldBack: boolean;
}

export interface ResultEvent {
  type: 'result';
  /** The whole document with every hole filled. */
  text: string;
  holes: ResultHole[];
  stats: GenerationStats;
}

export type InfillEvent = DraftEvent | ResultEvent;
