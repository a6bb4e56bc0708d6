import type { Db, Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import { notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import { findTemplateRow } from './mail.repository.js';
import type { MailPreferencesService } from './mail-preferences.service.js';
import { TemplateRenderPool, type RenderLimits } from './render-pool.js';
import {
  DEFAULT_TEMPLATES,
  GLOBAL_VARIABLES,
  TEMPLATE_KEY_PATTERN,
  type GlobalVariable,
  type DefaultTemplate,
  parseTemplate,
  renderTemplate,
  type MailCategory,
  type OptionalCategory,
  type ParsedTemplate,
  type TemplateBody,
} from './templates.js';

export interface MailTemplate extends TemplateBody {
  key: string;
  description: string;
  /** The category it is normally sent in. */
  category: MailCategory;
  /** True when staff changed it (stored in the database); reset brings the default back. */
  customized: boolean;
  updatedBy: string | null;
  updatedAt: string | null;
  /** Variables used by the sample preview. */
  sampleData: Record<string, unknown>;
  /** Variables every mail gets besides its own data. */
  globalVariables: GlobalVariable[];
}

/** A template as `send` uses it: the built-in one and the staff edit overriding it, if any. */
export interface LoadedTemplate {
  key: string;
  builtIn: ParsedTemplate;
  edited: (TemplateBody & { stamp: string }) | undefined;
}

export interface MailTemplatesDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  /** For the unsubscribe link of previews. */
  preferences: MailPreferencesService;
  publicUrl: string;
  /** Limits of rendering staff-edited templates (time, output size, threads); see render-pool.ts. */
  renderLimits?: Partial<RenderLimits>;
}

/**
 * Mail templates: the built-in defaults (plus those other modules register), staff edits in
 * `mail_templates`, previews, and rendering. Staff-edited templates are untrusted code: they render in
 * worker threads with hard limits, and one that fails falls back to the built-in default.
 */
export class MailTemplatesService {
  private readonly parsed = new Map<string, { stamp: string; template: ParsedTemplate }>();
  private readonly renderer: TemplateRenderPool;
  /** Template key → the version (updated_at) of a staff edit that failed to render: later mail skips it. */
  private readonly brokenEdits = new Map<string, string>();
  /** Every template that can be sent: the built-in ones plus those other modules register. */
  private readonly templates = new Map<string, DefaultTemplate>(Object.entries(DEFAULT_TEMPLATES));

  constructor(private readonly deps: MailTemplatesDeps) {
    this.renderer = new TemplateRenderPool(deps.renderLimits);
  }

  /** Stops the render threads (on app close). */
  close(): void {
    void this.renderer.close();
  }

  /**
   * Adds a template another module sends (e.g. an order confirmation), with its default content and
   * sample data. Staff can then edit, preview and reset it like the built-in ones. Call at wiring time.
   */
  registerTemplate(key: string, template: DefaultTemplate): void {
    if (!new RegExp(TEMPLATE_KEY_PATTERN).test(key)) throw new Error(`Mail template key ${key} must look like "area.event"`);
    if (this.templates.has(key)) throw new Error(`Mail template ${key} is registered twice`);
    parseTemplate(template); // a broken default is a programming error: fail at start-up
    this.templates.set(key, template);
  }

  /** Whether `key` names a template that can be sent (built-in or registered; staff edits override these keys). */
  hasTemplate(key: string): boolean {
    return this.templates.has(key);
  }

  /**
   * The built-in template (parsed once, trusted, rendered in-process) and the staff edit that overrides
   * it, if any (untrusted: rendered by the worker pool, with the built-in one as fallback).
   */
  async load(executor: Executor, key: string): Promise<LoadedTemplate> {
    const builtIn = this.templates.get(key);
    if (!builtIn) throw new Error(`No mail template ${key}: register it with MailTemplatesService.registerTemplate`);
    const row = await findTemplateRow(executor, key);
    const stamp = row ? toIso(row.updated_at) : '';
    const edited = row && this.brokenEdits.get(key) !== stamp ? { subject: row.subject, text: row.text, html: row.html, stamp } : undefined;
    return { key, builtIn: this.cachedParse(`default:${key}`, 'default', builtIn), edited };
  }

  private cachedParse(cacheKey: string, stamp: string, body: TemplateBody): ParsedTemplate {
    const hit = this.parsed.get(cacheKey);
    if (hit && hit.stamp === stamp) return hit.template;
    const template = parseTemplate(body);
    this.parsed.set(cacheKey, { stamp, template });
    return template;
  }

  /**
   * Renders a loaded template with `variables`. A staff-edited template that cannot render (an error, past
   * its limits) must not lose the mail: the built-in default is used, and that edit's version is not tried
   * again (each try of a runaway template costs the time limit).
   */
  async render(template: LoadedTemplate, variables: Record<string, unknown>): Promise<TemplateBody> {
    let rendered: TemplateBody | undefined;
    if (template.edited) {
      const { stamp } = template.edited;
      rendered = await this.renderer.render(template.edited, variables).catch(() => {
        this.brokenEdits.set(template.key, stamp);
        return undefined;
      });
    }
    return rendered ?? renderTemplate(template.builtIn, variables);
  }

  async listTemplates(): Promise<MailTemplate[]> {
    const rows = await this.deps.db.selectFrom('mail_templates').selectAll().execute();
    const byKey = new Map(rows.map((r) => [r.key, r]));
    return [...this.templates.keys()].sort().map((key) => this.toTemplate(key, byKey.get(key)));
  }

  async getTemplate(key: string): Promise<MailTemplate> {
    if (!this.templates.has(key)) throw notFound('Mail template', key);
    return this.toTemplate(key, await findTemplateRow(this.deps.db, key));
  }

  private toTemplate(key: string, row: Awaited<ReturnType<typeof findTemplateRow>>): MailTemplate {
    const builtIn = this.templates.get(key)!;
    const body = row ?? builtIn;
    return {
      key,
      subject: body.subject,
      text: body.text,
      html: body.html,
      description: builtIn.description,
      category: builtIn.category,
      customized: row !== undefined,
      updatedBy: row?.updated_by ?? null,
      updatedAt: row ? toIso(row.updated_at) : null,
      sampleData: builtIn.sample,
      globalVariables: [...GLOBAL_VARIABLES],
    };
  }

  /**
   * Stores a staff edit. The template must parse and render with the sample data; otherwise 400
   * TEMPLATE_INVALID with the part, line and column. Mail already recorded keeps its rendered content.
   */
  async updateTemplate(ctx: RequestContext, key: string, body: TemplateBody): Promise<MailTemplate> {
    if (!this.templates.has(key)) throw notFound('Mail template', key);
    await this.renderer.render(body, this.previewVariables(key, undefined));
    const before = await findTemplateRow(this.deps.db, key);
    const now = this.deps.clock.now().toISOString();
    const row = { key, subject: body.subject, text: body.text, html: body.html, updated_by: ctx.actor.label, updated_at: now };
    await this.deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('mail_templates')
        .values(row)
        .onConflict((oc) => oc.column('key').doUpdateSet({ subject: row.subject, text: row.text, html: row.html, updated_by: row.updated_by, updated_at: row.updated_at }))
        .execute();
      await this.deps.events.record(trx, ctx, {
        action: 'mail_template.updated',
        targetType: 'mail_template',
        targetId: key,
        before: before ? { subject: before.subject } : null,
        after: { subject: body.subject },
      });
    });
    return this.getTemplate(key);
  }

  /** Back to the default content (a no-op when it was not changed). */
  async resetTemplate(ctx: RequestContext, key: string): Promise<MailTemplate> {
    if (!this.templates.has(key)) throw notFound('Mail template', key);
    const before = await findTemplateRow(this.deps.db, key);
    if (before) {
      await this.deps.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('mail_templates').where('key', '=', key).execute();
        await this.deps.events.record(trx, ctx, { action: 'mail_template.reset', targetType: 'mail_template', targetId: key, before: { subject: before.subject } });
      });
    }
    return this.getTemplate(key);
  }

  /** Renders the stored template, or the given (unsaved) one, with the sample data or the given data. Nothing is sent. */
  async previewTemplate(key: string, input: { subject?: string; text?: string; html?: string; data?: Record<string, unknown>; to?: string }): Promise<TemplateBody> {
    const current = await this.getTemplate(key);
    const body: TemplateBody = {
      subject: input.subject ?? current.subject,
      text: input.text ?? current.text,
      html: input.html ?? current.html,
    };
    return this.renderer.render(body, this.previewVariables(key, input.data, input.to));
  }

  private previewVariables(key: string, data: Record<string, unknown> | undefined, to = 'recipient@example.com'): Record<string, unknown> {
    const builtIn = this.templates.get(key);
    const category = builtIn?.category ?? 'essential';
    return {
      publicUrl: this.deps.publicUrl,
      signInUrl: `${this.deps.publicUrl}/sign-in`,
      ...(data ?? builtIn?.sample ?? {}),
      recipient: to,
      unsubscribeUrl: category === 'essential' ? '' : this.deps.preferences.unsubscribeUrl(to, category as OptionalCategory),
      category,
    };
  }
}
