// The Drafts panel's webview: draws the last generation's canvas, token by token, coloured by the
// step that committed each token (or by its confidence), keeps every draft so that the slider can
// replay the steps, and shows the figures of the result.  Messages come from
// src/extension/panel/draftsPanel.ts, in the shapes of panelMessages.ts (shared, type-checked);
// bundled by esbuild into dist/panel.js.
import type { ContextPieces, FromPanel, PanelCommit, ToPanel } from '../extension/panel/panelMessages';
import type { GenerationStats } from '../core/events';
import type { ProposalDecision } from '../extension/refactor/proposals';

interface WebviewApi {
  postMessage(message: FromPanel): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): WebviewApi;

/** The generation on show: its start message, drafts, commits by hole and offset, and its end. */
interface Generation {
  id: number;
  kind: Extract<ToPanel, { type: 'start' }>['kind'];
  context: ContextPieces;
  model?: { name: string; device: string };
  holes: { slots: number; committed: number; byOffset: Map<number, PanelCommit> }[];
  drafts: { step: number; steps: number; commits: number }[];
  status: 'running' | 'done' | 'cancelled' | 'failed';
  stats: GenerationStats | null;
  error: string | null;
  confidence?: number;
  /** What became of its proposal (accepted, rejected, stale), once decided. */
  decision: ProposalDecision | null;
}

const vscode = acquireVsCodeApi();
// The engine's placeholder for a masked position (MASK_PLACEHOLDER), handed over by panelHtml.ts.
const MASK = document.body.dataset.mask ?? '';
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const el = {
  kind: $('kind'),
  status: $('status'),
  accept: $<HTMLButtonElement>('accept'),
  cancel: $<HTMLButtonElement>('cancel'),
  colorBy: $<HTMLSelectElement>('colorBy'),
  timeline: $('timeline'),
  replay: $<HTMLInputElement>('replay'),
  stepLabel: $('stepLabel'),
  canvas: $('canvas'),
  legend: $('legend'),
  figures: $('figures'),
};

const saved = (vscode.getState() ?? {}) as { colorBy?: string };
let colorBy: 'confidence' | 'step' = saved.colorBy === 'confidence' ? 'confidence' : 'step';
el.colorBy.value = colorBy;

/** The generation on show: its start message, drafts, commits by hole and offset, and its end. */
let gen: Generation | null = null;
/** Index into gen.drafts shown; null follows the latest draft. */
let shown: number | null = null;
let pending: { accept: boolean; label?: string } = { accept: false, label: undefined };

function begin(message: Extract<ToPanel, { type: 'start' }>) {
  gen = {
    id: message.id,
    kind: message.kind,
    context: message.context,
    model: message.model,
    holes: Array.from({ length: message.holes }, () => ({ slots: 0, committed: 0, byOffset: new Map() })),
    drafts: [],
    status: 'running',
    stats: null,
    error: null,
    /** What became of its proposal (accepted, rejected, stale), once decided. */
    decision: null,
  };
  shown = null;
}

function addDraft(message: Extract<ToPanel, { type: 'draft' }>) {
  const g = gen!;
  g.drafts.push({ step: message.step, steps: message.steps, commits: message.committed.length });
  for (const c of message.committed) {
    const hole = g.holes[c.hole];
    if (!hole) continue;
    hole.byOffset.set(c.offset, c);
    hole.committed++;
    hole.slots = Math.max(hole.slots, c.offset + 1);
  }
  // The engine's draft counts the positions still masked (up to an end-of-text), which with
  // what is committed gives the hole's length before its last tokens arrive.
  message.holes.forEach((h, i) => {
    const hole = g.holes[i];
    if (hole) hole.slots = Math.max(hole.slots, hole.committed + h.masked);
  });
}

window.addEventListener('message', (event: MessageEvent<ToPanel>) => {
  const message = event.data;
  if (!message || typeof message.type !== 'string') return;
  if (message.type === 'pending') {
    pending = message;
    renderControls();
    return;
  }
  if (message.type === 'decided') {
    if (!gen) return;
    gen.decision = message.decision;
    renderControls();
    return;
  }
  if (message.type === 'start') begin(message);
  else if (!gen || message.id !== gen.id) return;
  else if (message.type === 'draft') addDraft(message);
  else if (message.type === 'result') {
    gen.status = 'done';
    gen.stats = message.stats;
    gen.confidence = message.confidence;
  } else if (message.type === 'cancelled') gen.status = 'cancelled';
  else if (message.type === 'failed') {
    gen.status = 'failed';
    gen.error = message.message;
  }
  render();
});

el.replay.addEventListener('input', () => {
  const index = Number(el.replay.value) - 1;
  // Back at the end, the panel follows the live generation again.
  shown = gen && index >= gen.drafts.length - 1 ? null : index;
  renderCanvas();
});
el.colorBy.addEventListener('change', () => {
  colorBy = el.colorBy.value === 'confidence' ? 'confidence' : 'step';
  vscode.setState({ colorBy });
  renderCanvas();
});
el.accept.addEventListener('click', () => vscode.postMessage({ type: 'accept' }));
el.cancel.addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));

function render() {
  renderControls();
  renderTimeline();
  renderCanvas();
  renderFigures();
}

function renderControls() {
  const running = gen !== null && gen.status === 'running';
  el.cancel.disabled = !running;
  // Accept applies what waits for a decision: a refactor's diff, or the diff of a Fill Selection of a
  // whole file (or 40 lines or more); a smaller fill writes by itself, and an inline completion is
  // accepted in the editor (Tab), where its ghost text is.
  el.accept.disabled = !pending.accept;
  el.accept.textContent = pending.accept && pending.label ? pending.label : 'Accept';
  if (!gen) return;
  el.kind.textContent = gen.kind === 'fill' ? 'Fill Selection' : gen.kind === 'refactor' ? 'Refactor' : 'Inline';
  el.kind.dataset.kind = gen.kind;
  const last = gen.drafts[gen.drafts.length - 1];
  const texts: Record<Generation['status'], string> = {
    running: last ? `denoising: step ${last.step} of ${last.steps}` : 'starting…',
    done: `done in ${gen.stats ? gen.stats.steps : gen.drafts.length} steps`,
    cancelled: 'cancelled',
    failed: `failed: ${gen.error}`,
  };
  // A proposal's end is what the user did with it: "done" after a Reject would say it was written.
  const decisions: Record<ProposalDecision, string> = {
    accepted: 'accepted: written to the document',
    rejected: 'rejected: nothing written',
    stale: 'not written: the document changed meanwhile',
  };
  const decided = gen.status === 'done' && gen.decision ? gen.decision : null;
  el.status.textContent = decided ? decisions[decided] : texts[gen.status];
  el.status.dataset.status = decided || gen.status;
}

/**
 * How many steps the colour scale spans: the steps the generation ends with, or while it runs
 * the planned ones, but never more than the masked positions (a step commits at least one; a
 * repair of a few tokens under a large steps setting ends early).
 */
function stepScale(): number {
  if (!gen || gen.drafts.length === 0) return 1;
  if (gen.status !== 'running') return gen.drafts.length;
  const last = gen.drafts[gen.drafts.length - 1];
  const slots = gen.holes.reduce((a, h) => a + h.slots, 0);
  return Math.max(gen.drafts.length, Math.min(last.steps, slots || last.steps));
}

function renderTimeline() {
  el.timeline.textContent = '';
  if (!gen) return;
  const scale = stepScale();
  const most = Math.max(1, ...gen.drafts.map((d) => d.commits));
  gen.drafts.forEach((d, i) => {
    const tick = document.createElement('span');
    tick.className = 'tick';
    tick.dataset.step = String(d.step);
    tick.title = `step ${d.step}: ${d.commits} token${d.commits === 1 ? '' : 's'} committed`;
    tick.style.height = `${Math.round(20 + (80 * d.commits) / most)}%`;
    tick.style.backgroundColor = stepColour(i + 1, scale, 0.9);
    tick.addEventListener('click', () => {
      shown = i >= gen!.drafts.length - 1 ? null : i;
      renderCanvas();
    });
    el.timeline.appendChild(tick);
  });
}

function renderCanvas() {
  const canvas = el.canvas;
  canvas.textContent = '';
  if (!gen) return;
  const count = gen.drafts.length;
  const index = shown === null ? count - 1 : Math.min(shown, count - 1);
  el.replay.max = String(Math.max(1, count));
  el.replay.value = String(Math.max(1, index + 1));
  el.replay.disabled = count < 2;
  const draft = gen.drafts[index];
  const step = draft ? draft.step : 0;
  const scale = stepScale();
  el.stepLabel.textContent = `step ${step} / ${scale}`;
  canvas.dataset.step = String(step);
  // The timeline shows where the replay stands: the steps after it are dimmed.
  el.timeline.querySelectorAll('.tick').forEach((tick, i) => {
    tick.classList.toggle('current', i === index && shown !== null);
    tick.classList.toggle('future', i > index);
  });

  const context = (text: string | undefined) => {
    if (!text) return;
    const span = document.createElement('span');
    span.className = 'context';
    span.textContent = text;
    canvas.appendChild(span);
  };
  context(gen.context.before);
  // Once the fill is done its end and pad tokens, and the positions the rules filled without a
  // commit, are not part of the text: drawing them left runs of <|dlm_pad|> and ░ behind.
  const finished = gen.status === 'done';
  const g = gen;
  g.holes.forEach((hole, h) => {
    for (let offset = 0; offset < hole.slots; offset++) {
      const c = hole.byOffset.get(offset);
      if (finished && (!c || isSpecial(c.text))) continue;
      const span = document.createElement('span');
      if (c && c.step <= step) {
        span.className = isSpecial(c.text) ? 'token special' : 'token';
        span.textContent = c.text;
        span.dataset.step = String(c.step);
        span.title = `step ${c.step}, confidence ${c.confidence.toFixed(3)}`;
        span.style.backgroundColor = colorBy === 'confidence' ? confidenceColour(c.confidence) : stepColour(c.step, scale, 0.45);
      } else {
        span.className = 'mask';
        span.textContent = MASK;
      }
      canvas.appendChild(span);
    }
    context(h < g.context.between.length ? g.context.between[h] : '');
  });
  context(gen.context.after);
  renderLegend(scale);
}

function renderLegend(steps: number) {
  el.legend.textContent = '';
  const stops = colorBy === 'confidence' ? [0, 0.25, 0.5, 0.75, 1] : [1, Math.ceil(steps / 2), steps].filter((v, i, a) => v > 0 && a.indexOf(v) === i);
  const label = document.createElement('span');
  label.textContent = colorBy === 'confidence' ? 'confidence:' : 'committed at step:';
  el.legend.appendChild(label);
  for (const v of stops) {
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.textContent = colorBy === 'confidence' ? v.toFixed(2) : String(v);
    swatch.style.backgroundColor = colorBy === 'confidence' ? confidenceColour(v) : stepColour(v, steps, 0.45);
    el.legend.appendChild(swatch);
  }
}

function renderFigures() {
  el.figures.textContent = '';
  if (!gen) return;
  const s = gen.stats;
  const last = gen.drafts[gen.drafts.length - 1];
  const committed = gen.holes.reduce((a, h) => a + h.committed, 0);
  const rows = [
    ['Steps', s ? String(s.steps) : last ? `${last.step} of ${last.steps}` : '0'],
    ['Tokens per forward', s ? s.tokensPerStep.toFixed(2) : last ? (committed / gen.drafts.length).toFixed(2) : '–'],
    ['ms per step', s ? s.msPerStep.toFixed(1) : '–'],
    ['Masked tokens', s ? String(s.maskedTokens) : String(gen.holes.reduce((a, h) => a + h.slots, 0))],
    // The figure the status bar, the log and a proposal's title show (src/extension/confidence.ts).
    ['Confidence', typeof gen.confidence === 'number' ? gen.confidence.toFixed(2) : '–'],
    ['Elapsed', s ? `${Math.round(s.elapsedMs)} ms` : '–'],
    ['Model', s ? s.model : gen.model ? gen.model.name : '–'],
    ['Device', s ? s.device : gen.model ? gen.model.device : '–'],
  ];
  for (const [name, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.textContent = value;
    dd.dataset.figure = name;
    el.figures.append(dt, dd);
  }
}

function isSpecial(text: string): boolean {
  return /^<\|.*\|>$/.test(text);
}

/** Early steps blue, late steps red: the order in which the model made up its mind. */
function stepColour(step: number, steps: number, alpha: number): string {
  const t = steps > 1 ? (step - 1) / (steps - 1) : 0;
  return `hsla(${Math.round(220 - 220 * t)}, 75%, 50%, ${alpha})`;
}

/** Red for doubtful tokens, green for sure ones. */
function confidenceColour(p: number): string {
  return `hsla(${Math.round(120 * Math.max(0, Math.min(1, p)))}, 70%, 45%, 0.5)`;
}

vscode.postMessage({ type: 'ready' });
