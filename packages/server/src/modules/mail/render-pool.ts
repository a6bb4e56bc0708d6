import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../../http/errors.js';
import type { TemplateBody } from './templates.js';

export interface RenderLimits {
  /** Wall-clock limit of one render; past it the worker is terminated (default 1500 ms). */
  timeoutMs: number;
  /** Characters of subject + text + html together (default 1,000,000). */
  maxOutputChars: number;
  /** Worker threads (default 2). */
  size: number;
}

interface Task {
  id: number;
  body: TemplateBody;
  variables: Record<string, unknown>;
  resolve: (body: TemplateBody) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  /** The thread has loaded its modules and listens. */
  ready: boolean;
  task: Task | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The built server runs render-worker.js directly. Under tsx (tests, development) a worker thread does not
 * inherit tsx's loader on Node 20, so a two-line bootstrap registers it in the thread first.
 */
function startWorker(): Worker {
  const options = { resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 32 } };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./render-worker.js', import.meta.url), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const file = new URL('./render-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(file)}); });`, { ...options, eval: true });
}

const limitError = (message: string, details: Record<string, unknown>) => new AppError('TEMPLATE_RENDER_LIMIT', message, details);

/**
 * Renders untrusted (staff-edited) Liquid templates off the event loop. A template is code: a nested loop
 * renders for seconds and would stop every request of the process if it ran on the main thread. Here each
 * render runs in a worker thread (a small reused pool, so the common case costs one message round trip);
 * a render past `timeoutMs` terminates its worker (a fresh one replaces it) and fails with 422
 * TEMPLATE_RENDER_LIMIT, as does an output past `maxOutputChars` or a worker that ran out of memory.
 */
export class TemplateRenderPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private readonly limits: RenderLimits;

  constructor(limits: Partial<RenderLimits> = {}) {
    this.limits = { timeoutMs: limits.timeoutMs ?? 1500, maxOutputChars: limits.maxOutputChars ?? 1_000_000, size: limits.size ?? 2 };
  }

  render(body: TemplateBody, variables: Record<string, unknown>): Promise<TemplateBody> {
    if (this.closed) return Promise.reject(new AppError('UNAVAILABLE', 'The server is shutting down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, body: { subject: body.subject, text: body.text, html: body.html }, variables, resolve, reject });
      this.pump();
    });
  }

  /** Ends the workers (on app close); queued renders fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new AppError('UNAVAILABLE', 'The server is shutting down'));
    await Promise.all(this.slots.splice(0).map((slot) => this.retire(slot, new AppError('UNAVAILABLE', 'The server is shutting down'))));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.ready && s.task === undefined);
      if (!slot) {
        if (this.slots.length < this.limits.size && this.slots.every((s) => s.ready)) this.spawn();
        return;
      }
      const task = this.queue.shift()!;
      slot.task = task;
      slot.worker.ref();
      slot.timer = setTimeout(() => {
        void this.retire(slot, limitError(`The template did not finish rendering within ${this.limits.timeoutMs} ms`, { limit: 'time', timeoutMs: this.limits.timeoutMs }));
        this.pump();
      }, this.limits.timeoutMs);
      try {
        slot.worker.postMessage({ id: task.id, body: task.body, variables: task.variables, maxOutputChars: this.limits.maxOutputChars });
      } catch (error) {
        // Variables that cannot be copied to a thread (functions) are a programming error of the caller.
        this.finish(slot);
        task.reject(error as Error);
      }
    }
  }

  private spawn(): Slot {
    const worker = startWorker();
    worker.unref();
    const slot: Slot = { worker, ready: false, task: undefined, timer: undefined };
    worker.on('message', (message: { ready?: true; id: number; body?: TemplateBody; error?: { code: ErrorCode; message: string; details?: Record<string, unknown> } }) => {
      if (message.ready) {
        slot.ready = true;
        return this.pump();
      }
      const task = slot.task;
      if (!task || task.id !== message.id) return;
      this.finish(slot);
      if (message.error) task.reject(new AppError(message.error.code, message.error.message, message.error.details));
      else task.resolve(message.body!);
      this.pump();
    });
    const died = (error: Error | number) => {
      const out = typeof error !== 'number' && (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      const task = slot.task;
      this.finish(slot);
      // A thread that cannot even start fails what waits for it, rather than respawning forever.
      if (!slot.ready) for (const waiting of this.queue.splice(0)) waiting.reject(new AppError('INTERNAL', 'The template renderer could not start'));
      task?.reject(out ? limitError('The template used more memory than allowed', { limit: 'memory' }) : new AppError('INTERNAL', 'The template renderer stopped'));
      if (!this.closed) this.pump();
    };
    worker.on('error', died);
    worker.on('exit', died);
    this.slots.push(slot);
    return slot;
  }

  private finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.task = undefined;
    slot.worker.unref();
  }

  private async retire(slot: Slot, reason: Error): Promise<void> {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    const task = slot.task;
    this.finish(slot);
    slot.worker.removeAllListeners();
    slot.worker.on('error', () => {});
    task?.reject(reason);
    await slot.worker.terminate();
  }
}
