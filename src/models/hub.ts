import { InfillError } from '../core/errors';

/** Where the Hugging Face Hub is, and who is asking: HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE by default. */
export interface HubSettings {
  endpoint: string;
  token?: string;
  offline: boolean;
  /** The extension passes VS Code's patched global fetch (proxies, system certificates); tests a spy. */
  fetch?: typeof fetch;
  userAgent?: string;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export function hubSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): HubSettings {
  const truthy = (v: string | undefined) => v !== undefined && !['', '0', 'false', 'no', 'off'].includes(v.toLowerCase());
  return {
    endpoint: (env.HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, ''),
    token: env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined,
    offline: truthy(env.HF_HUB_OFFLINE) || truthy(env.TRANSFORMERS_OFFLINE),
  };
}

/** What went wrong talking to the hub, in the words a user can act on. */
export type HubErrorKind = 'offline' | 'auth' | 'gated' | 'not-found' | 'rate-limited' | 'server' | 'network' | 'integrity' | 'cancelled';

export class HubError extends InfillError {
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    /** The repository's page, for "request access" and "sign in". */
    readonly page?: string,
    /** Seconds to wait (429). */
    readonly waitSeconds?: number,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

/** One file of a repository at a commit, from the tree listing. */
export interface RepoFile {
  path: string;
  size: number;
  /** sha256 of an LFS file, else undefined. */
  sha256?: string;
  /** git blob sha1 (of a small file; LFS files carry their pointer's). */
  gitOid: string;
}

export interface RepoInfo {
  id: string;
  /** The commit the revision resolved to. */
  commit: string;
  gated: false | 'auto' | 'manual';
  files: RepoFile[];
}

/** A repository id with an optional revision: `org/name` or `org/name@revision`. */
export function parseRepoRef(ref: string): { repo: string; revision: string } {
  const m = /^([A-Za-z0-9][\w.-]*\/[\w.-]+?)(?:@([\w./-]+))?$/.exec(ref);
  if (!m || m[1].includes('..')) throw new InfillError(`"${ref}" is not a Hugging Face repository id (ORG/NAME, optionally @REVISION)`);
  return { repo: m[1], revision: m[2] ?? 'main' };
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const MAX_TRIES = 5;

/** The Hub's HTTP protocol (huggingface_hub's and huggingface.js's), with nothing but fetch. */
export class HubClient {
  private readonly fetch: typeof fetch;

  constructor(readonly settings: HubSettings) {
    this.fetch = settings.fetch ?? fetch;
  }

  pageOf(repo: string): string {
    return `${this.settings.endpoint}/${repo}`;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'User-Agent': this.settings.userAgent ?? 'diffusion-infill',
      ...(this.settings.token ? { Authorization: `Bearer ${this.settings.token}` } : {}),
      ...extra,
    };
  }

  /** The commit a revision points at, and every file of the repository there (the tree, paginated). */
  async info(repo: string, revision: string, signal?: AbortSignal): Promise<RepoInfo> {
    const base = `${this.settings.endpoint}/api/models/${repo}`;
    const about = (await this.json(`${base}/revision/${encodeURIComponent(revision)}`, repo, signal)) as { sha?: string; gated?: false | 'auto' | 'manual' };
    if (!about.sha || !/^[0-9a-f]{40}$/.test(about.sha)) throw new HubError('server', `${this.settings.endpoint} gave no commit for ${repo}@${revision}`);
    const files: RepoFile[] = [];
    let url: string | null = `${base}/tree/${about.sha}?recursive=true&expand=false`;
    while (url) {
      const res = await this.request(url, repo, signal);
      const page = (await res.json()) as { type: string; path: string; size: number; oid: string; lfs?: { oid: string; size: number } }[];
      for (const f of page) if (f.type === 'file') files.push({ path: f.path, size: f.lfs?.size ?? f.size, sha256: f.lfs?.oid, gitOid: f.oid });
      url = nextLink(res.headers.get('link'), url);
    }
    return { id: repo, commit: about.sha, gated: about.gated ?? false, files };
  }

  /**
   * GET with the hub's retry policy: 408, 429 and 5xx and broken connections are tried again
   * (a 429 after the wait its RateLimit or Retry-After header gives); other errors become HubErrors
   * naming what the user can do.  The response is OK or a redirect (manual redirects).
   */
  async request(url: string, repo: string, signal?: AbortSignal, init: { headers?: Record<string, string>; method?: string; accept?: number[] } = {}): Promise<Response> {
    if (this.settings.offline) throw new HubError('offline', `HF_HUB_OFFLINE is set: not asking ${this.settings.endpoint} for ${repo}`);
    let last: HubError | undefined;
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      if (signal?.aborted) throw new HubError('cancelled', 'cancelled');
      let res: Response;
      try {
        res = await this.fetch(url, { method: init.method ?? 'GET', headers: this.headers(init.headers), redirect: 'manual', signal });
      } catch (e) {
        if (signal?.aborted) throw new HubError('cancelled', 'cancelled');
        last = new HubError('network', `cannot reach ${new URL(url).host}: ${(e as Error).cause ?? (e as Error).message}`);
        await sleep(backoff(attempt), signal);
        continue;
      }
      if (res.ok || (res.status >= 300 && res.status < 400) || init.accept?.includes(res.status)) return res;
      const error = await hubError(res, repo, this.pageOf(repo), Boolean(this.settings.token));
      if (!RETRY_STATUS.has(res.status)) throw error;
      last = error;
      await sleep(error.waitSeconds !== undefined ? error.waitSeconds * 1000 : backoff(attempt), signal);
    }
    throw last!;
  }

  private async json(url: string, repo: string, signal?: AbortSignal): Promise<unknown> {
    const res = await this.request(url, repo, signal);
    try {
      return await res.json();
    } catch {
      throw new HubError('server', `${url} did not answer JSON: is ${this.settings.endpoint} a Hugging Face hub (HF_ENDPOINT)?`);
    }
  }
}

/** The error a failed response means, as huggingface_hub's hf_raise_for_status reads it. */
async function hubError(res: Response, repo: string, page: string, hasToken: boolean): Promise<HubError> {
  const code = res.headers.get('x-error-code') ?? '';
  let message = res.headers.get('x-error-message') ?? '';
  if (!message) message = (await res.text().catch(() => '')).slice(0, 300);
  if (code === 'GatedRepo' || (res.status === 403 && /gated|authorized list|ask for access/i.test(message))) {
    if (res.status === 401 || !hasToken) return new HubError('auth', `${repo} is gated: sign in with a Hugging Face token (HF_TOKEN) of an account that has access (request it on ${page})`, page);
    return new HubError('gated', `${repo} is gated and this token's account has no access yet: request access on its page (${page}), then pull again`, page);
  }
  if (res.status === 401) {
    if (/invalid credentials/i.test(message)) return new HubError('auth', `the Hugging Face token was refused (invalid credentials): set a valid one (HF_TOKEN)`, page);
    return new HubError(
      hasToken ? 'not-found' : 'auth',
      hasToken ? `${repo} was not found, or this token cannot see it` : `${repo} was not found, or it needs you to sign in: set a Hugging Face token (HF_TOKEN) and pull again`,
      page,
    );
  }
  if (res.status === 403) return new HubError('auth', `${repo}: this token lacks permission (${message.trim() || 'forbidden'}); a fine-grained token needs read access to the repository`, page);
  if (res.status === 404) {
    const what = code === 'RevisionNotFound' ? 'revision' : code === 'EntryNotFound' ? 'file' : 'repository';
    return new HubError('not-found', `${repo}: no such ${what} (${message.trim() || res.url})`, page);
  }
  if (res.status === 429) {
    const wait = rateLimitWait(res.headers);
    return new HubError('rate-limited', `the hub is rate-limiting these requests: waiting ${wait} s (a token raises the limit)`, page, wait);
  }
  return new HubError('server', `${new URL(res.url || page).host} answered ${res.status}${message ? `: ${message.trim()}` : ''}`, page);
}

/** Seconds to wait after a 429: the RateLimit header's t when nothing is left (r=0), else Retry-After, else 5. */
function rateLimitWait(headers: Headers): number {
  const rl = headers.get('ratelimit');
  const t = rl && /;\s*r=0\b/.test(rl) ? /;\s*t=(\d+)/.exec(rl)?.[1] : undefined;
  const after = headers.get('retry-after');
  const seconds = t !== undefined ? Number(t) + 1 : after && /^\d+$/.test(after) ? Number(after) : 5;
  return Math.min(seconds, 300);
}

function nextLink(header: string | null, current: string): string | null {
  const m = header ? /<([^>]+)>;\s*rel="next"/.exec(header) : null;
  return m ? new URL(m[1], current).toString() : null;
}

export function backoff(attempt: number): number {
  return Math.min(8000, 1000 * 2 ** attempt);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new HubError('cancelled', 'cancelled'));
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(new HubError('cancelled', 'cancelled'));
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
}
