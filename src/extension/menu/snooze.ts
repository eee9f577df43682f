import { Emitter } from '../emitter';

/**
 * Inline completions paused for a while, in this window only (as Copilot's snooze): a setting
 * would outlive the pause and follow the user to other windows.
 */
export class Snooze {
  private readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.event;
  private untilMs: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** When the pause ends, or undefined when completions are not snoozed. */
  get until(): number | undefined {
    return this.untilMs !== undefined && this.untilMs > this.now() ? this.untilMs : undefined;
  }

  get active(): boolean {
    return this.until !== undefined;
  }

  /** Pauses for `minutes`; 0 or less resumes at once. */
  snooze(minutes: number): void {
    clearTimeout(this.timer);
    this.untilMs = minutes > 0 ? this.now() + minutes * 60_000 : undefined;
    // The status bar says when the pause ends: it has to learn that it did.
    if (this.untilMs !== undefined) this.timer = setTimeout(() => this.snooze(0), minutes * 60_000);
    this.changed.fire();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.changed.dispose();
  }
}
