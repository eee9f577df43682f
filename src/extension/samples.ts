import * as vscode from 'vscode';

/**
 * What Fill Selection and Repair Function run on when no editor is open (a walkthrough button, the
 * palette with no file): a short sample, so the user sees the feature instead of an error.
 */
const SAMPLES = {
  fill: {
    text: 'def clamp(x, lo, hi):\n    if x < lo:\n        return <|hole|>\n    if x > hi:\n        return <|hole|>\n    return x\n',
    /** Everything selected: each marker is a hole. */
    select: (text: string) => [0, text.length],
  },
  repair: {
    text: 'import math\n\n\ndef hypotenuse(a, b):\n    squares = a * a + b * b\n    return math.sqrt(squares)\n',
    /** The cursor inside the function. */
    select: (text: string) => [text.indexOf('squares'), text.indexOf('squares')],
  },
} as const;

export async function openSample(feature: keyof typeof SAMPLES, log: vscode.LogOutputChannel): Promise<vscode.TextEditor> {
  const sample = SAMPLES[feature];
  const document = await vscode.workspace.openTextDocument({ language: 'python', content: sample.text });
  const editor = await vscode.window.showTextDocument(document);
  const [start, end] = sample.select(sample.text);
  editor.selection = new vscode.Selection(document.positionAt(start), document.positionAt(end));
  log.info(`${feature}: no editor was open, so it runs on a sample`);
  vscode.window.setStatusBarMessage('Diffusion Infill: no file was open, so this runs on a sample', 8000);
  return editor;
}
