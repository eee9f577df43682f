import { MASK_PLACEHOLDER } from '../../core/events';

/**
 * The drafts panel's page. Everything it runs or styles comes from media/ through the webview's
 * own origin: the policy allows no inline script or style, no remote resource, and scripts
 * only with this page's nonce.
 */
export interface PanelResources {
  /** A fresh random nonce per page. */
  nonce: string;
  /** `webview.cspSource`. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
}

export function panelHtml(r: PanelResources): string {
  const csp = [`default-src 'none'`, `script-src 'nonce-${r.nonce}'`, `style-src ${r.cspSource}`, `img-src ${r.cspSource}`, `font-src ${r.cspSource}`].join(
    '; ',
  );
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(r.styleUri)}">
<title>Drafts</title>
</head>
<body data-mask="${escapeAttribute(MASK_PLACEHOLDER)}">
<header class="bar">
  <span id="kind" class="kind">idle</span>
  <span id="status" class="status">No generation yet: run a completion, Fill Selection or a refactor.</span>
</header>
<div class="actions">
  <button id="accept" disabled title="Accept the pending proposal">Accept</button>
  <button id="cancel" disabled title="Cancel the running generation">Cancel</button>
  <label class="color-by">Colour by
    <select id="colorBy">
      <option value="step">step</option>
      <option value="confidence">confidence</option>
    </select>
  </label>
</div>
<div id="timeline" class="timeline" aria-label="Commits per step"></div>
<div class="replay">
  <input id="replay" type="range" min="1" max="1" value="1" disabled aria-label="Replay the steps">
  <span id="stepLabel" class="step-label">step 0 / 0</span>
</div>
<pre id="canvas" class="canvas"></pre>
<div id="legend" class="legend"></div>
<dl id="figures" class="figures"></dl>
<script nonce="${r.nonce}" src="${escapeAttribute(r.scriptUri)}"></script>
</body>
</html>`;
}

/** 32 random characters from [A-Za-z0-9]. */
export function makeNonce(random: (n: number) => Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(random(32), (b) => alphabet[b % alphabet.length]).join('');
}

function escapeAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
