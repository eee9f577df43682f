import { ALGS, checkWindowOptions, DEFAULT_TIME_LIMIT_SECONDS, Hole, InfillError, InfillOptions, InfillRequest, parseMarkers, resolveSampler, validateHoles } from '../core';
import { HttpError } from './errors';

/** A parsed and checked POST /v1/infill body. */
export interface InfillCall {
  request: InfillRequest;
  options: InfillOptions;
}

/**
 * Body fields and the option each sets. camelCase as in the engine; the CLI's flag names
 * (`top-p`, `hole-tokens`, ...) and snake_case are accepted too.
 */
const NUMBER_FIELDS: Record<string, keyof InfillOptions> = {
  steps: 'steps',
  temperature: 'temperature',
  topP: 'topP',
  topK: 'topK',
  algTemp: 'algTemp',
  threshold: 'threshold',
  blockLength: 'blockLength',
  seed: 'seed',
  contextTokens: 'contextTokens',
  holeTokens: 'defaultHoleTokens',
  defaultHoleTokens: 'defaultHoleTokens',
  holeSlack: 'holeSlack',
  timeLimitSeconds: 'timeLimitSeconds',
};
const NULLABLE = new Set(['threshold', 'blockLength']);
const TEXT_FIELDS = new Set(['text', 'holes', 'prefix', 'suffix']);

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
    if (!(name in NUMBER_FIELDS) && name !== 'alg' && name !== 'tokenHealing' && !TEXT_FIELDS.has(name)) bad(`unknown field "${key}"`);
    if (name in fields) bad(`field "${key}" is given twice`);
    fields[name] = value;
  }

  const options: InfillOptions = { ...defaults };
  for (const [name, option] of Object.entries(NUMBER_FIELDS)) {
    const value = fields[name];
    if (value === undefined) continue;
    if (value === null && NULLABLE.has(name)) {
      (options as Record<string, unknown>)[option] = null;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) bad(`field "${name}" must be a number, not ${JSON.stringify(value)}`);
    (options as Record<string, unknown>)[option] = value;
  }
  if (fields.tokenHealing !== undefined) {
    if (typeof fields.tokenHealing !== 'boolean') bad(`field "tokenHealing" must be true or false, not ${JSON.stringify(fields.tokenHealing)}`);
    options.tokenHealing = fields.tokenHealing as boolean;
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
    checkWindowOptions(options);
  } catch (e) {
    // The engine names its own field; the body calls defaultHoleTokens holeTokens.
    const [field, ...rest] = (e as Error).message.split(' ');
    if (e instanceof InfillError) bad(`field "${field === 'defaultHoleTokens' ? 'holeTokens' : field}" ${rest.join(' ')}`);
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
