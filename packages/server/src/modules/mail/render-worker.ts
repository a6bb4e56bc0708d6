import { parentPort } from 'node:worker_threads';
import { AppError } from '../../http/errors.js';
import { parseTemplate, renderTemplate, type ParsedTemplate, type TemplateBody } from './templates.js';

/**
 * The worker thread that renders staff-edited templates (see render-pool.ts). It parses each distinct
 * template once (a small cache keyed by the source) and answers `{id, body}` or `{id, error}`; the pool
 * terminates it when a render runs past its time limit.
 */
const cache = new Map<string, ParsedTemplate>();
const CACHE_SIZE = 64;

function parsed(body: TemplateBody): ParsedTemplate {
  const key = JSON.stringify([body.subject, body.text, body.html]);
  let hit = cache.get(key);
  if (!hit) {
    hit = parseTemplate(body);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, hit);
  }
  return hit;
}

parentPort!.on('message', async (task: { id: number; body: TemplateBody; variables: Record<string, unknown>; maxOutputChars: number }) => {
  try {
    const out = await renderTemplate(parsed(task.body), task.variables);
    const size = out.subject.length + out.text.length + out.html.length;
    if (size > task.maxOutputChars) {
      parentPort!.postMessage({ id: task.id, error: { code: 'TEMPLATE_RENDER_LIMIT', message: `The template renders ${size} characters; the limit is ${task.maxOutputChars}`, details: { limit: 'output', maxOutputChars: task.maxOutputChars } } });
      return;
    }
    parentPort!.postMessage({ id: task.id, body: out });
  } catch (error) {
    const e = error instanceof AppError ? error : new AppError('TEMPLATE_INVALID', error instanceof Error ? error.message : String(error));
    parentPort!.postMessage({ id: task.id, error: { code: e.code, message: e.message, details: e.details } });
  }
});

// The pool starts a render's clock only once the thread has loaded (loading is not rendering).
parentPort!.postMessage({ ready: true });
