import type { ModelInfo } from './engine';
import type { InfillOptions } from './options';
import { InfillError } from './errors';
import { InfillEvent } from './events';
import { Hole, InfillRequest, parseMarkers, validateHoles } from './holes';
import { ALGS, checkRequestOptions, OptionError, resolveSampler } from './options';
import { ALG_OPTION, BOOLEAN_OPTIONS, DEFAULT_TIME_LIMIT_SECONDS, NUMBER_OPTIONS, REUSE_KEY_OPTION } from './optionTable';

/**
 * The wire protocol of `diffusion-infill serve`, in one place for the server (src/server) and its
 * client (remote/serverEngine.ts): the paths, the POST /v1/infill body (built by infillBody,
 * parsed by parseInfillBody; POST /v1/prefill takes the same and answers 204), the events streamed
 * back (checkEvent) and GET /v1/model's answer.
 */
export const PATHS = { health: '/health', model: '/v1/model', infill: '/v1/infill', prefill: '/v1/prefill' } as const;

/** The two framings of the event stream: NDJSON by default, server-sent events when asked for. */
export const NDJSON_TYPE = 'application/x-ndjson';
export const SSE_TYPE = 'text/event-stream';

/** GET /v1/model: the model, the server's defaults for the options, and its limits. */
export interface ModelAnswer extends ModelInfo {
  defaults: InfillOptions;
  limits: { maxBodyBytes: number; maxRunning: number; maxWaiting: number };
}

/** An answer other than 200: its status, a message for the client, and any extra headers. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A parsed and checked POST /v1/infill body. */
export interface InfillCall {
  request: InfillRequest;
  options: InfillOptions;
}

/** The POST /v1/infill body for a request: text with explicit holes, and the options that are set. */
export function infillBody(request: InfillRequest, holes: Hole[], options: InfillOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    text: request.text,
    holes: holes.map((h) => ({
      start: h.start,
      end: h.end,
      ...(h.tokens !== undefined ? { tokens: h.tokens } : {}),
      ...(h.singleLine ? { singleLine: true } : {}),
    })),
  };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) body[k] = v;
  return body;
}

/**
 * Body fields and the option each sets, from the option table. camelCase as in the engine; the
 * CLI's flag names (`top-p`, `hole-tokens`, ...) and snake_case are accepted too.
 */
const NUMBER_FIELDS = new Map(NUMBER_OPTIONS.flatMap((o) => o.http.map((name) => [name, o] as const)));
const TEXT_FIELDS = new Set(['text', 'holes', 'prefix', 'suffix']);
const BOOLEAN_FIELDS = new Set<string>(BOOLEAN_OPTIONS.map((o) => o.field));

function canonical(key: string): string {
  return key.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Checks a request body; every problem is a 400 that names the field. */
export function parseInfillBody(body: unknown, defaults: InfillOptions = {}): InfillCall {
  const bad = (message: string): never => {
    throw new HttpError(400, message);
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) bad('the body must be a JSON object');
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const name = canonical(key);
    if (!NUMBER_FIELDS.has(name) && name !== ALG_OPTION.field && name !== REUSE_KEY_OPTION.field && !BOOLEAN_FIELDS.has(name) && !TEXT_FIELDS.has(name))
      bad(`unknown field "${key}"`);
    if (name in fields) bad(`field "${key}" is given twice`);
    fields[name] = value;
  }

  const options: InfillOptions = { ...defaults };
  for (const [name, option] of NUMBER_FIELDS) {
    const value = fields[name];
    if (value === undefined) continue;
    if (value === null && option.nullable) {
      (options as Record<string, unknown>)[option.field] = null;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) bad(`field "${name}" must be a number, not ${JSON.stringify(value)}`);
    (options as Record<string, unknown>)[option.field] = value;
  }
  for (const { field } of BOOLEAN_OPTIONS) {
    const value = fields[field];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') bad(`field "${field}" must be true or false, not ${JSON.stringify(value)}`);
    options[field] = value as boolean;
  }
  const key = fields[REUSE_KEY_OPTION.field];
  if (key !== undefined && key !== null) {
    if (typeof key !== 'string' || key.length < 1 || key.length > REUSE_KEY_OPTION.maxLength)
      bad(`field "${REUSE_KEY_OPTION.field}" must be a text of 1 to ${REUSE_KEY_OPTION.maxLength} characters, not ${JSON.stringify(key).slice(0, 40)}`);
    options.reuseKey = key as string;
  }
  if (fields.alg !== undefined) {
    if (typeof fields.alg !== 'string' || !(ALGS as readonly string[]).includes(fields.alg)) {
      bad(`field "alg" must be one of ${ALGS.join(', ')}, not ${JSON.stringify(fields.alg)}`);
    }
    options.alg = fields.alg as InfillOptions['alg'];
  }
  // A request may ask for less time than the server's limit, never more: the limit is the operator's.
  const limit = defaults.timeLimitSeconds ?? DEFAULT_TIME_LIMIT_SECONDS;
  if (typeof fields.timeLimitSeconds === 'number' && fields.timeLimitSeconds > limit) {
    bad(`field "timeLimitSeconds" must be at most this server's limit of ${limit} s, not ${fields.timeLimitSeconds}`);
  }
  try {
    checkRequestOptions(options);
  } catch (e) {
    // The engine names its own field; the body may call it otherwise (defaultHoleTokens: holeTokens).
    if (e instanceof OptionError) bad(`field "${NUMBER_OPTIONS.find((o) => o.field === e.field)!.http[0]}" ${e.problem}`);
    throw e;
  }
  try {
    resolveSampler(options);
  } catch (e) {
    if (e instanceof InfillError) bad(e.message);
    throw e;
  }

  return { request: parseText(fields, bad), options };
}

function parseText(fields: Record<string, unknown>, bad: (m: string) => never): InfillRequest {
  const has = (k: string) => fields[k] !== undefined;
  if (has('text') && (has('prefix') || has('suffix'))) bad('give either "text" or "prefix" and "suffix", not both');
  let request: InfillRequest;
  if (has('prefix') || has('suffix')) {
    if (has('holes')) bad('field "holes" goes with "text", not with "prefix" and "suffix"');
    for (const k of ['prefix', 'suffix']) if (typeof (fields[k] ?? '') !== 'string') bad(`field "${k}" must be a string`);
    const prefix = (fields.prefix as string | undefined) ?? '';
    const suffix = (fields.suffix as string | undefined) ?? '';
    request = { text: prefix + suffix, holes: [{ start: prefix.length, end: prefix.length }] };
  } else if (has('text')) {
    if (typeof fields.text !== 'string') bad('field "text" must be a string');
    const text = fields.text as string;
    if (has('holes')) {
      request = { text, holes: parseHoles(fields.holes, bad) };
    } else {
      try {
        request = parseMarkers(text);
      } catch (e) {
        if (e instanceof InfillError) bad(`field "text": ${e.message}`);
        throw e;
      }
    }
  } else {
    return bad('missing field "text" (with <|hole|> markers), or "prefix" and "suffix"');
  }
  try {
    validateHoles(request);
  } catch (e) {
    if (e instanceof InfillError) bad(`field "${has('holes') ? 'holes' : 'text'}": ${e.message}`);
    throw e;
  }
  return request;
}

function parseHoles(value: unknown, bad: (m: string) => never): Hole[] {
  if (!Array.isArray(value)) bad('field "holes" must be an array of {start, end, tokens?, singleLine?}');
  return (value as unknown[]).map((h, i) => {
    const hole = h as Record<string, unknown>;
    if (typeof h !== 'object' || h === null) bad(`field "holes[${i}]" must be an object {start, end, tokens?, singleLine?}`);
    for (const k of Object.keys(hole)) if (!['start', 'end', 'tokens', 'singleLine'].includes(k)) bad(`unknown field "holes[${i}].${k}"`);
    for (const k of ['start', 'end']) if (!Number.isInteger(hole[k])) bad(`field "holes[${i}].${k}" must be a whole number`);
    if (hole.tokens !== undefined && !Number.isInteger(hole.tokens)) bad(`field "holes[${i}].tokens" must be a whole number`);
    if (hole.singleLine !== undefined && typeof hole.singleLine !== 'boolean') bad(`field "holes[${i}].singleLine" must be true or false`);
    return {
      start: hole.start as number,
      end: hole.end as number,
      tokens: hole.tokens as number | undefined,
      ...(hole.singleLine === true ? { singleLine: true } : {}),
    };
  });
}

/** Checks that a parsed object is a draft or result event for `holes` holes; returns it typed. */
export function checkEvent(value: unknown, holes: number, where: string): InfillEvent {
  const bad = (what: string): never => {
    throw new InfillError(`${where}: ${what}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('expected a JSON object');
  const e = value as Record<string, unknown>;
  const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const checkHoles = (list: unknown, withMasked: boolean) => {
    if (!Array.isArray(list) || list.length !== holes) bad(`"holes" must be an array of ${holes} (one per hole)`);
    (list as unknown[]).forEach((h, i) => {
      const hole = h as Record<string, unknown>;
      if (typeof h !== 'object' || h === null || typeof hole.text !== 'string') bad(`holes[${i}].text must be a string`);
      if (withMasked && !isNum(hole.masked)) bad(`holes[${i}].masked must be a number`);
      if (!withMasked && hole.confidence !== undefined && !isNum(hole.confidence)) bad(`holes[${i}].confidence must be a number when given`);
      if (!withMasked && typeof hole.heldBack !== 'boolean') bad(`holes[${i}].heldBack must be true or false`);
    });
  };
  if (e.type === 'error') bad(`the server failed: ${typeof e.message === 'string' ? e.message : JSON.stringify(e)}`);
  if (e.type === 'draft') {
    if (!isNum(e.step) || !isNum(e.steps)) bad('a draft needs numeric "step" and "steps"');
    checkHoles(e.holes, true);
    if (!Array.isArray(e.committed)) bad('a draft needs a "committed" array');
    (e.committed as unknown[]).forEach((c, i) => {
      const t = c as Record<string, unknown>;
      if (typeof c !== 'object' || c === null || !['pos', 'hole', 'offset', 'token', 'confidence'].every((k) => isNum(t[k])) || typeof t.text !== 'string') {
        bad(`committed[${i}] must have numeric pos, hole, offset, token, confidence and a string text`);
      }
    });
    return value as InfillEvent;
  }
  if (e.type === 'result') {
    if (typeof e.text !== 'string') bad('a result needs a string "text"');
    checkHoles(e.holes, false);
    const s = e.stats as Record<string, unknown> | undefined;
    if (typeof s !== 'object' || s === null) bad('a result needs "stats"');
    for (const k of ['steps', 'canvasTokens', 'maskedTokens', 'elapsedMs', 'msPerStep', 'tokensPerStep', 'seed'])
      if (!isNum(s![k])) bad(`stats.${k} must be a number`);
    for (const k of ['model', 'device']) if (typeof s![k] !== 'string') bad(`stats.${k} must be a string`);
    return value as InfillEvent;
  }
  return bad(`unknown event type ${JSON.stringify(e.type)} (expected "draft" or "result")`);
}
