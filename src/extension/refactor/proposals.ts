import * as path from 'node:path';
import * as vscode from 'vscode';
import { confidenceWords } from '../confidence';
import { Emitter } from '../emitter';
import { Span } from '../../core';

export const PROPOSAL_SCHEME = 'diffusion-infill-proposal';
/** True while a refactor proposal waits for Accept or Reject: the diff's title buttons show then. */
export const PROPOSAL_CONTEXT_KEY = 'diffusionInfill.proposalPending';
export const ACCEPT_PROPOSAL_COMMAND = 'diffusionInfill.acceptProposal';
export const REJECT_PROPOSAL_COMMAND = 'diffusionInfill.rejectProposal';

export type RefactorMode = 'rewrite' | 'repair';
/** What made a proposal: a refactor, or a Fill Selection too large to write unasked. */
export type ProposalMode = RefactorMode | 'fill';
const MODE_TITLES: Record<ProposalMode, string> = { rewrite: 'Rewrite', repair: 'Repair', fill: 'Fill Selection' };

/** A refactored function (or a large fill) waiting for the user's decision, shown as a diff against the document. */
export interface RefactorProposal {
  mode: ProposalMode;
  document: vscode.TextDocument;
  /** The document version the request was made from: Accept writes only into that version. */
  version: number;
  /** The function's span in that version, signature included. */
  replace: Span;
  /** The new function text. */
  replacement: string;
  /** How sure the model was of it (resultConfidence), shown in the diff's title. */
  confidence?: number;
  /** What the syntax check found wrong with it, when the user asked to see it anyway. */
  flaw?: string;
}

/** How a proposal ended: written, turned down (Reject, or its diff closed), or too late to write. */
export type ProposalDecision = 'accepted' | 'rejected' | 'stale';

export type ProposalOutcome = { status: 'applied' } | { status: 'stale' } | { status: 'rejected' } | { status: 'none' };

/**
 * Holds the one pending proposal, serves it as a read-only virtual document (the right side of
 * `vscode.diff`), and applies or drops it. A new proposal replaces the one before.
 */
export class Proposals implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly pendingChanged = new Emitter<RefactorProposal | undefined>();
  /** Fires with the pending proposal, or undefined once it is accepted or dropped (the panel's Accept follows it). */
  readonly onDidChangePending = this.pendingChanged.event;
  private readonly decided = new Emitter<ProposalDecision>();
  /** Fires when a proposal is accepted, rejected or found stale (the panel says which, not "done"). */
  readonly onDidDecide = this.decided.event;
  private current: { proposal: RefactorProposal; uri: vscode.Uri; text: string } | undefined;
  private nextId = 1;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, this);
  // Closing the diff by hand is a Reject: the title buttons and the panel's Accept go with it.
  private readonly tabWatch = vscode.window.tabGroups.onDidChangeTabs((e) => {
    const uri = this.current?.uri.toString();
    if (uri && e.closed.some((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === uri)) {
      this.log.info(`refactor: ${this.current?.proposal.mode} diff closed, proposal dropped`);
      void this.drop('rejected');
    }
  });

  constructor(private readonly log: vscode.LogOutputChannel) {}

  get pending(): RefactorProposal | undefined {
    return this.current?.proposal;
  }

  /** The proposal's whole document text, for the virtual document. */
  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.current && this.current.uri.toString() === uri.toString() ? this.current.text : '';
  }

  /** Shows the proposal as a diff: the document on the left, the document with the new function on the right. */
  async open(proposal: RefactorProposal, originalText: string): Promise<vscode.Uri> {
    await this.closeDiff(this.current?.uri);
    const { document, replace, replacement } = proposal;
    const text = originalText.slice(0, replace.start) + replacement + originalText.slice(replace.end);
    // The original path keeps the language (and its highlighting); the query makes each proposal a new document.
    const uri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: document.uri.path, query: `proposal=${this.nextId++}` });
    this.current = { proposal, uri, text };
    this.changed.fire(uri);
    await vscode.commands.executeCommand('setContext', PROPOSAL_CONTEXT_KEY, true);
    this.pendingChanged.fire(proposal);
    const notes = [proposal.flaw ? `⚠ ${proposal.flaw}` : '', confidenceWords(proposal.confidence)].filter(Boolean).join(', ');
    const title = `${path.basename(document.uri.path)} ↔ ${MODE_TITLES[proposal.mode]} proposal, ${notes} (Accept or Reject above)`;
    await vscode.commands.executeCommand('vscode.diff', document.uri, uri, title, { preview: false });
    return uri;
  }

  /**
   * Writes the proposal as one edit (one undo step), only into the version it was made from: an
   * edit anywhere in the document since then means the proposal may no longer fit, so nothing is
   * written and the user is told why.
   */
  async accept(): Promise<ProposalOutcome> {
    const pending = this.current?.proposal;
    if (!pending) return { status: 'none' };
    const { document, version, replace, replacement } = pending;
    if (document.isClosed || document.version !== version) {
      await this.drop('stale');
      const message = `the document changed after the ${pending.mode} was requested, so nothing was written: run it again`;
      this.log.info(`refactor: ${message}`);
      void vscode.window.showWarningMessage(`Diffusion Infill: ${message}`);
      return { status: 'stale' };
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, new vscode.Range(document.positionAt(replace.start), document.positionAt(replace.end)), replacement);
    const applied = await vscode.workspace.applyEdit(edit);
    await this.drop(applied ? 'accepted' : 'stale');
    if (!applied) return { status: 'stale' };
    this.log.info(`refactor: ${pending.mode} accepted in ${document.uri.toString(true)}`);
    return { status: 'applied' };
  }

  /** Closes the diff and forgets the proposal; the document is not touched. */
  async reject(): Promise<ProposalOutcome> {
    if (!this.current) return { status: 'none' };
    this.log.info(`refactor: ${this.current.proposal.mode} rejected`);
    await this.drop('rejected');
    return { status: 'rejected' };
  }

  dispose(): void {
    this.registration.dispose();
    this.tabWatch.dispose();
    this.changed.dispose();
    this.pendingChanged.dispose();
    this.decided.dispose();
  }

  private async drop(decision: ProposalDecision): Promise<void> {
    // Forgotten first, so that an Accept racing with the close finds nothing to apply.
    const uri = this.current?.uri;
    this.current = undefined;
    await this.closeDiff(uri);
    await vscode.commands.executeCommand('setContext', PROPOSAL_CONTEXT_KEY, false);
    this.pendingChanged.fire(undefined);
    this.decided.fire(decision);
  }

  private async closeDiff(proposal: vscode.Uri | undefined): Promise<void> {
    const uri = proposal?.toString();
    if (!uri) return;
    const tabs = vscode.window.tabGroups.all
      .flatMap((group) => group.tabs)
      .filter((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === uri);
    if (tabs.length) await vscode.window.tabGroups.close(tabs);
  }
}
