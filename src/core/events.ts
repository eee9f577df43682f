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

/** The canvas after one step. */
export interface DraftEvent {
  type: 'draft';
  step: number;
  steps: number;
  holes: DraftHole[];
  committed: CommittedToken[];
}

export interface GenerationStats {
  model: string;
  device: string;
  steps: number;
  canvasTokens: number;
  maskedTokens: number;
  elapsedMs: number;
  msPerStep: number;
  tokensPerStep: number;
  seed: number;
}

export interface ResultEvent {
  type: 'result';
  /** The whole document with every hole filled. */
  text: string;
  holes: { text: string }[];
  stats: GenerationStats;
}

export type InfillEvent = DraftEvent | ResultEvent;
