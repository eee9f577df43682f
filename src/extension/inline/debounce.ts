import * as vscode from 'vscode';

/**
 * Waits `ms` unless the request is cancelled first (the user typed on); true when the request
 * should go ahead. Fast typists never reach the model: each keystroke cancels the wait before.
 */
export function debounce(ms: number, token: vscode.CancellationToken): Promise<boolean> {
  if (token.isCancellationRequested) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      resolve(!token.isCancellationRequested);
    }, ms);
    const subscription = token.onCancellationRequested(() => {
      clearTimeout(timer);
      subscription.dispose();
      resolve(false);
    });
  });
}
