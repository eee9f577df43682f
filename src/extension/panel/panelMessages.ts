import { DraftEvent, FilledHole, GenerationStats, InfillRequest, ResultEvent } from '../../core';
import { resultConfidence } from '../confidence';
import { GenerationKind } from '../generations';
import type { ProposalDecision } from '../refactor/proposals';

/**
 * The messages between the extension and the drafts panel's webview (src/webview/panel.ts), and the
 * record of the last generation that lets a panel opened late (or reloaded) replay it. No
 * `vscode` here: the shapes and the record are unit-tested in Node.
 */

/** Text shown around the holes: a few lines each side, so the canvas reads as code. */
export interface ContextPieces {
  before: string;
  /** Text between hole i and hole i + 1, shortened in the middle when long. */
  between: string[];
  after: string;
}

export interface PanelCommit {
  hole: number;
  /** Token index within the hole. */
  offset: number;
  text: string;
  confidence: number;
  /** The step that committed it. */
  step: number;
}

export type ToPanel =
  | { type: 'start'; id: number; kind: GenerationKind; holes: number; context: ContextPieces; model?: { name: string; device: string } }
  | { type: 'draft'; id: number; step: number; steps: number; holes: { text: string; masked: number }[]; committed: PanelCommit[] }
  /** `confidence`: the one figure every place shows (resultConfidence). */
  | { type: 'result'; id: number; holes: FilledHole[]; confidence?: number; stats: GenerationStats }
  | { type: 'cancelled'; id: number }
  | { type: 'failed'; id: number; message: string }
  | { type: 'pending'; accept: boolean; label?: string }
  /** What became of the last generation's proposal (a refactor's or a large fill's diff). */
  | { type: 'decided'; decision: ProposalDecision };

export type FromPanel = { type: 'ready' } | { type: 'accept' } | { type: 'cancel' };

export function isFromPanel(value: unknown): value is FromPanel {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'ready' || type === 'accept' || type === 'cancel';
}

const CONTEXT_LINES = 4;
const BETWEEN_CHARS = 240;

export function startMessage(id: number, kind: GenerationKind, request: InfillRequest, model?: { name: string; device: string }): ToPanel {
  const holes = [...request.holes].sort((a, b) => a.start - b.start);
  const { text } = request;
  const before = lastLines(text.slice(0, holes[0]?.start ?? text.length), CONTEXT_LINES);
  const after = holes.length ? firstLines(text.slice(holes[holes.length - 1].end), CONTEXT_LINES) : '';
  const between = holes.slice(1).map((h, i) => shortened(text.slice(holes[i].end, h.start), BETWEEN_CHARS));
  return { type: 'start', id, kind, holes: holes.length, context: { before, between, after }, model };
}

export function draftMessage(id: number, draft: DraftEvent): ToPanel {
  return {
    type: 'draft',
    id,
    step: draft.step,
    steps: draft.steps,
    holes: draft.holes.map((h) => ({ text: h.text, masked: h.masked })),
    committed: draft.committed.map((c) => ({ hole: c.hole, offset: c.offset, text: c.text, confidence: c.confidence, step: draft.step })),
  };
}

export function resultMessage(id: number, result: ResultEvent): ToPanel {
  return { type: 'result', id, holes: result.holes, confidence: resultConfidence(result.holes), stats: result.stats };
}

/**
 * The messages of the last generation, in order: the panel follows whichever generation runs,
 * so a new start forgets the one before.
 */
export class PanelSession {
  private messages: ToPanel[] = [];
  private pending: ToPanel = { type: 'pending', accept: false };

  /** Records a message; false when it belongs to no generation the panel follows (and is not to be posted). */
  record(message: ToPanel): boolean {
    if (message.type === 'pending') {
      this.pending = message;
      return true;
    }
    if (message.type === 'start') {
      this.messages = [message];
      return true;
    }
    const current = this.messages[0];
    if (message.type === 'decided') {
      // A decision belongs to the generation on show; with none, there is nothing to tell.
      if (!current) return false;
      this.messages.push(message);
      return true;
    }
    if (!current || current.type !== 'start' || current.id !== message.id) return false;
    this.messages.push(message);
    return true;
  }

  /** Everything a fresh webview needs to show the last generation as it is now. */
  replay(): ToPanel[] {
    return [...this.messages, this.pending];
  }
}

function lastLines(text: string, n: number): string {
  const lines = text.split(/(?<=\n)/);
  return lines.slice(Math.max(0, lines.length - n)).join('');
}

function firstLines(text: string, n: number): string {
  return text
    .split(/(?<=\n)/)
    .slice(0, n)
    .join('');
}

function shortened(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor((max - 3) / 2);
  return `${text.slice(0, half)} … ${text.slice(text.length - half)}`;
}
