import { Liquid, LiquidError, type Template } from 'liquidjs';
import { AppError } from '../../http/errors.js';

/** Mail categories. Essential mail always goes; the others honour the recipient's preferences. */
export const MAIL_CATEGORIES = ['essential', 'reminders', 'announcements', 'alerts'] as const;
export type MailCategory = (typeof MAIL_CATEGORIES)[number];
export const OPTIONAL_CATEGORIES = ['reminders', 'announcements', 'alerts'] as const;
export type OptionalCategory = (typeof OPTIONAL_CATEGORIES)[number];

export interface TemplateBody {
  subject: string;
  text: string;
  html: string;
}

export interface DefaultTemplate extends TemplateBody {
  description: string;
  /** The category callers normally send it in (informational; the caller decides). */
  category: MailCategory;
  /** Variables for previews; also documents what callers pass in `data`. */
  sample: Record<string, unknown>;
}

/**
 * Every mail also gets these variables, so templates need not be given them: `publicUrl`, `signInUrl`
 * (the portal sign-in page), `recipient` (the address; the first one when several), `unsubscribeUrl`
 * (non-essential mail to one address only, else empty) and `category`.
 */
export const GLOBAL_VARIABLES = ['publicUrl', 'signInUrl', 'recipient', 'unsubscribeUrl', 'category'] as const;
export type GlobalVariable = (typeof GLOBAL_VARIABLES)[number];

const FOOTER_TEXT = `{% if unsubscribeUrl != blank %}
--
You receive this because of your {{ category }} e-mail settings. Unsubscribe: {{ unsubscribeUrl }}{% endif %}`;

/** The shared HTML frame of the built-in templates: one column, inline styles (mail clients ignore <style>). */
function layout(title: string, body: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head>
<body style="margin:0;padding:0;background:#f4f5f7;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2933">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7;padding:24px 0"><tr><td align="center">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border-radius:8px;padding:32px;text-align:left;line-height:1.5;font-size:15px">
<tr><td>
${body}
</td></tr></table>
<p style="font-size:12px;color:#7b8794;margin:16px 0">{% if unsubscribeUrl != blank %}You receive this because of your {{ category }} e-mail settings. <a href="{{ unsubscribeUrl }}" style="color:#7b8794">Unsubscribe</a>.{% endif %}</p>
</td></tr></table>
</body></html>
`;
}

const button = (href: string, label: string) =>
  `<p style="margin:24px 0"><a href="${href}" style="background:#2563eb;color:#ffffff;text-decoration:none;padding:10px 18px;border-radius:6px;display:inline-block">${label}</a></p>`;
const keyBlock = (expr: string) =>
  `<p style="font-family:SFMono-Regular,Consolas,monospace;font-size:17px;letter-spacing:1px;background:#f0f4f8;padding:12px 16px;border-radius:6px">${expr}</p>`;

const customer = { name: 'Acme Corp', email: 'it@acme.example' };
const product = { name: 'Photon Studio', code: 'photon-studio' };
const user = { name: 'Dana Reyes', email: 'dana@acme.example' };

/**
 * The built-in templates. A template edited by staff is stored in `mail_templates` and wins; resetting
 * it deletes the row, which brings the default back.
 */
export const DEFAULT_TEMPLATES: Record<string, DefaultTemplate> = {
  'license.issued': {
    description: 'A new license: the key and how to sign in to the portal.',
    category: 'essential',
    sample: {
      customer,
      product,
      license: { id: 'lic_01J0SAMPLE', name: 'Photon Studio – 5 seats', key: 'F2A65-VPQAS-871CH-C03B0-FGKD1-1QX3C', expiresAt: '2027-03-01T00:00:00.000Z', maxMachines: 5 },
      setPasswordUrl: 'https://licenses.example.com/set-password?token=sample',
    },
    subject: 'Your {{ product.name }} license key',
    text: `Hello {{ customer.name | default: "there" }},

thank you for choosing {{ product.name }}. Your license key:

    {{ license.key }}

{% if license.expiresAt %}Valid until {{ license.expiresAt | date: "%B %-d, %Y" }}.{% else %}This license does not expire.{% endif %}{% if license.maxMachines %} It can be activated on {{ license.maxMachines }} machine{% if license.maxMachines != 1 %}s{% endif %}.{% endif %}

{% if setPasswordUrl %}Set the password for your customer portal (the link works for 7 days):
{{ setPasswordUrl }}
{% else %}Sign in to the customer portal to manage your machines and downloads:
{{ signInUrl }}
{% endif %}
Keep this key private: anyone who has it can activate the software.
${FOOTER_TEXT}`,
    html: layout(
      'Your {{ product.name }} license key',
      `<h1 style="font-size:20px;margin:0 0 16px">Your {{ product.name }} license</h1>
<p>Hello {{ customer.name | default: "there" }},</p>
<p>thank you for choosing {{ product.name }}. Your license key:</p>
${keyBlock('{{ license.key }}')}
<p>{% if license.expiresAt %}Valid until {{ license.expiresAt | date: "%B %-d, %Y" }}.{% else %}This license does not expire.{% endif %}{% if license.maxMachines %} It can be activated on {{ license.maxMachines }} machine{% if license.maxMachines != 1 %}s{% endif %}.{% endif %}</p>
{% if setPasswordUrl %}<p>Set the password for your customer portal (the link works for 7 days):</p>
${button('{{ setPasswordUrl }}', 'Set your password')}{% else %}<p>Sign in to the customer portal to manage your machines and downloads:</p>
${button('{{ signInUrl }}', 'Sign in')}{% endif %}
<p style="color:#52606d;font-size:13px">Keep this key private: anyone who has it can activate the software.</p>`,
    ),
  },
  'license.expiring': {
    description: 'Reminder before a license or subscription term ends.',
    category: 'reminders',
    sample: { customer, product, license: { id: 'lic_01J0SAMPLE', name: 'Photon Studio – 5 seats', keyHint: '1QX3C', expiresAt: '2026-04-01T00:00:00.000Z', autoRenew: false }, daysLeft: 15, renewUrl: 'https://shop.example.com/renew' },
    subject: 'Your {{ product.name }} license expires in {{ daysLeft }} day{% if daysLeft != 1 %}s{% endif %}',
    text: `Hello {{ customer.name | default: "there" }},

your {{ product.name }} license{% if license.name %} "{{ license.name }}"{% endif %}{% if license.keyHint %} (key ending in {{ license.keyHint }}){% endif %} expires on {{ license.expiresAt | date: "%B %-d, %Y" }}, in {{ daysLeft }} day{% if daysLeft != 1 %}s{% endif %}.
{% if license.autoRenew %}
It renews automatically; nothing to do.
{% else %}
Renew it in time to keep working without interruption{% if renewUrl %}: {{ renewUrl }}{% else %}. Sign in to the portal or reply to this mail: {{ signInUrl }}{% endif %}
{% endif %}${FOOTER_TEXT}`,
    html: layout(
      '{{ product.name }} license expires soon',
      `<h1 style="font-size:20px;margin:0 0 16px">Your license expires in {{ daysLeft }} day{% if daysLeft != 1 %}s{% endif %}</h1>
<p>Hello {{ customer.name | default: "there" }},</p>
<p>your {{ product.name }} license{% if license.name %} “{{ license.name }}”{% endif %}{% if license.keyHint %} (key ending in {{ license.keyHint }}){% endif %} expires on <strong>{{ license.expiresAt | date: "%B %-d, %Y" }}</strong>.</p>
{% if license.autoRenew %}<p>It renews automatically; nothing to do.</p>{% else %}<p>Renew it in time to keep working without interruption.</p>
${button('{% if renewUrl %}{{ renewUrl }}{% else %}{{ signInUrl }}{% endif %}', 'Renew now')}{% endif %}`,
    ),
  },
  'license.expired': {
    description: 'A license has expired (possibly with a grace period).',
    category: 'essential',
    sample: { customer, product, license: { id: 'lic_01J0SAMPLE', name: 'Photon Studio – 5 seats', keyHint: '1QX3C', expiresAt: '2026-04-01T00:00:00.000Z' }, graceEndsAt: '2026-04-15T00:00:00.000Z', renewUrl: 'https://shop.example.com/renew' },
    subject: 'Your {{ product.name }} license has expired',
    text: `Hello {{ customer.name | default: "there" }},

your {{ product.name }} license{% if license.name %} "{{ license.name }}"{% endif %} expired on {{ license.expiresAt | date: "%B %-d, %Y" }}.
{% if graceEndsAt %}The software keeps working until {{ graceEndsAt | date: "%B %-d, %Y" }}; renew before then to avoid an interruption.{% endif %}

Renew: {% if renewUrl %}{{ renewUrl }}{% else %}{{ signInUrl }}{% endif %}
${FOOTER_TEXT}`,
    html: layout(
      '{{ product.name }} license expired',
      `<h1 style="font-size:20px;margin:0 0 16px">Your license has expired</h1>
<p>Hello {{ customer.name | default: "there" }},</p>
<p>your {{ product.name }} license{% if license.name %} “{{ license.name }}”{% endif %} expired on <strong>{{ license.expiresAt | date: "%B %-d, %Y" }}</strong>.</p>
{% if graceEndsAt %}<p>The software keeps working until {{ graceEndsAt | date: "%B %-d, %Y" }}; renew before then to avoid an interruption.</p>{% endif %}
${button('{% if renewUrl %}{{ renewUrl }}{% else %}{{ signInUrl }}{% endif %}', 'Renew')}`,
    ),
  },
  'license.renewed': {
    description: 'A license or subscription was renewed.',
    category: 'essential',
    sample: { customer, product, license: { id: 'lic_01J0SAMPLE', name: 'Photon Studio – 5 seats', keyHint: '1QX3C', expiresAt: '2028-03-01T00:00:00.000Z' }, renewal: { price: '499.00', currency: 'EUR' } },
    subject: 'Your {{ product.name }} license was renewed',
    text: `Hello {{ customer.name | default: "there" }},

your {{ product.name }} license{% if license.name %} "{{ license.name }}"{% endif %} was renewed and is now valid until {{ license.expiresAt | date: "%B %-d, %Y" }}.{% if renewal.price %} Amount: {{ renewal.price }} {{ renewal.currency }}.{% endif %}

Your license key stays the same. Portal: {{ signInUrl }}
${FOOTER_TEXT}`,
    html: layout(
      '{{ product.name }} license renewed',
      `<h1 style="font-size:20px;margin:0 0 16px">Your license was renewed</h1>
<p>Hello {{ customer.name | default: "there" }},</p>
<p>your {{ product.name }} license{% if license.name %} “{{ license.name }}”{% endif %} is now valid until <strong>{{ license.expiresAt | date: "%B %-d, %Y" }}</strong>.{% if renewal.price %} Amount: {{ renewal.price }} {{ renewal.currency }}.{% endif %}</p>
<p>Your license key stays the same.</p>
${button('{{ signInUrl }}', 'Open the portal')}`,
    ),
  },
  'license.cancelled': {
    description: 'A subscription was cancelled; access continues until the term ends.',
    category: 'essential',
    sample: { customer, product, license: { id: 'lic_01J0SAMPLE', name: 'Photon Studio – 5 seats', keyHint: '1QX3C', expiresAt: '2027-03-01T00:00:00.000Z' } },
    subject: 'Your {{ product.name }} subscription was cancelled',
    text: `Hello {{ customer.name | default: "there" }},

your {{ product.name }} subscription{% if license.name %} "{{ license.name }}"{% endif %} was cancelled and will not renew. You keep access until {{ license.expiresAt | date: "%B %-d, %Y" }}.

Changed your mind? Sign in to the portal or reply to this mail: {{ signInUrl }}
${FOOTER_TEXT}`,
    html: layout(
      '{{ product.name }} subscription cancelled',
      `<h1 style="font-size:20px;margin:0 0 16px">Your subscription was cancelled</h1>
<p>Hello {{ customer.name | default: "there" }},</p>
<p>your {{ product.name }} subscription{% if license.name %} “{{ license.name }}”{% endif %} will not renew. You keep access until <strong>{{ license.expiresAt | date: "%B %-d, %Y" }}</strong>.</p>
<p>Changed your mind? Sign in to the portal or reply to this mail.</p>
${button('{{ signInUrl }}', 'Open the portal')}`,
    ),
  },
  'trial.started': {
    description: 'A trial key, with the link to set a portal password.',
    category: 'essential',
    sample: { customer, product, license: { id: 'lic_01J0SAMPLE', key: 'F2A65-VPQAS-871CH-C03B0-FGKD1-1QX3C', expiresAt: '2026-03-31T00:00:00.000Z' }, trialDays: 30, setPasswordUrl: 'https://licenses.example.com/set-password?token=sample' },
    subject: 'Your {{ trialDays }}-day {{ product.name }} trial',
    text: `Hello,

your {{ product.name }} trial has started. Your trial key:

    {{ license.key }}

It works until {{ license.expiresAt | date: "%B %-d, %Y" }}.
{% if setPasswordUrl %}
Set a password for the customer portal (the link works for 7 days):
{{ setPasswordUrl }}
{% endif %}
When you buy, the same key simply becomes a full license.
${FOOTER_TEXT}`,
    html: layout(
      'Your {{ product.name }} trial',
      `<h1 style="font-size:20px;margin:0 0 16px">Your {{ product.name }} trial has started</h1>
<p>Your trial key:</p>
${keyBlock('{{ license.key }}')}
<p>It works until <strong>{{ license.expiresAt | date: "%B %-d, %Y" }}</strong>. When you buy, the same key simply becomes a full license.</p>
{% if setPasswordUrl %}<p>Set a password for the customer portal (the link works for 7 days):</p>
${button('{{ setPasswordUrl }}', 'Set your password')}{% endif %}`,
    ),
  },
  'trial.ending': {
    description: 'Reminder that a trial ends soon.',
    category: 'reminders',
    sample: { customer, product, license: { id: 'lic_01J0SAMPLE', keyHint: '1QX3C', expiresAt: '2026-03-31T00:00:00.000Z' }, daysLeft: 3, buyUrl: 'https://shop.example.com/buy' },
    subject: 'Your {{ product.name }} trial ends in {{ daysLeft }} day{% if daysLeft != 1 %}s{% endif %}',
    text: `Hello,

your {{ product.name }} trial ends on {{ license.expiresAt | date: "%B %-d, %Y" }}, in {{ daysLeft }} day{% if daysLeft != 1 %}s{% endif %}.
Buy a license to keep working; your key and settings stay as they are{% if buyUrl %}: {{ buyUrl }}{% else %}.{% endif %}
${FOOTER_TEXT}`,
    html: layout(
      '{{ product.name }} trial ends soon',
      `<h1 style="font-size:20px;margin:0 0 16px">Your trial ends in {{ daysLeft }} day{% if daysLeft != 1 %}s{% endif %}</h1>
<p>Your {{ product.name }} trial ends on <strong>{{ license.expiresAt | date: "%B %-d, %Y" }}</strong>. Buy a license to keep working; your key and settings stay as they are.</p>
{% if buyUrl %}${button('{{ buyUrl }}', 'Buy now')}{% endif %}`,
    ),
  },
  'release.published': {
    description: 'A new release of a product the recipient is licensed for (release announcements).',
    category: 'announcements',
    sample: {
      name: 'Dana Reyes',
      customer,
      product,
      release: {
        version: '4.2.0',
        channel: 'stable',
        notes: 'Faster exports.\nNew dark theme.',
        notesHtml: '<p>Faster exports.<br>\nNew dark theme.</p>\n',
        docLinks: [{ title: 'Upgrade guide', url: 'https://docs.example.com/4.2' }],
        url: 'https://licenses.example.com/sign-in',
      },
    },
    subject: '{{ product.name }} {{ release.version }} is available',
    text: `Hello {{ name | default: "there" }},

{{ product.name }} {{ release.version }} is available{% if release.channel and release.channel != "stable" %} on the {{ release.channel }} channel{% endif %}.
{% if release.notes %}
{{ release.notes }}
{% endif %}{% if release.docLinks.size > 0 %}
{% for link in release.docLinks %}{{ link.title }}: {{ link.url }}
{% endfor %}{% endif %}
Download: {% if release.url %}{{ release.url }}{% else %}{{ signInUrl }}{% endif %}
${FOOTER_TEXT}`,
    html: layout(
      '{{ product.name }} {{ release.version }}',
      `<h1 style="font-size:20px;margin:0 0 16px">{{ product.name }} {{ release.version }} is available</h1>
<p>Hello {{ name | default: "there" }},</p>
{% if release.channel and release.channel != "stable" %}<p>It is on the {{ release.channel }} channel.</p>{% endif %}
{% if release.notesHtml %}<div>{{ release.notesHtml | raw }}</div>{% elsif release.notes %}<p>{{ release.notes | escape | newline_to_br | raw }}</p>{% endif %}
{% if release.docLinks.size > 0 %}<ul>{% for link in release.docLinks %}<li><a href="{{ link.url }}">{{ link.title }}</a></li>{% endfor %}</ul>{% endif %}
${button('{% if release.url %}{{ release.url }}{% else %}{{ signInUrl }}{% endif %}', 'Download')}`,
    ),
  },
  'password.set': {
    description: 'A new portal account: set the first password.',
    category: 'essential',
    sample: { user, url: 'https://licenses.example.com/set-password?token=sample', expiresAt: '2026-03-08T12:00:00.000Z' },
    subject: 'Set your password',
    text: `Hello {{ user.name | default: "there" }},

an account was created for you ({{ user.email }}). Set your password here:
{{ url }}

The link works once, until {{ expiresAt | date: "%B %-d, %Y %H:%M UTC" }}. If you did not expect this mail, you can ignore it.`,
    html: layout(
      'Set your password',
      `<h1 style="font-size:20px;margin:0 0 16px">Set your password</h1>
<p>Hello {{ user.name | default: "there" }},</p>
<p>an account was created for you ({{ user.email }}).</p>
${button('{{ url }}', 'Set your password')}
<p style="color:#52606d;font-size:13px">The link works once, until {{ expiresAt | date: "%B %-d, %Y %H:%M UTC" }}. If you did not expect this mail, you can ignore it.</p>`,
    ),
  },
  'password.reset': {
    description: 'Someone asked to reset the password of this account.',
    category: 'essential',
    sample: { user, url: 'https://licenses.example.com/set-password?token=sample', expiresAt: '2026-03-01T13:00:00.000Z' },
    subject: 'Reset your password',
    text: `Hello {{ user.name | default: "there" }},

someone (hopefully you) asked to reset the password for {{ user.email }}. Choose a new one here:
{{ url }}

The link works once, for one hour. If you did not ask for this, ignore this mail: your password stays as it is.`,
    html: layout(
      'Reset your password',
      `<h1 style="font-size:20px;margin:0 0 16px">Reset your password</h1>
<p>Hello {{ user.name | default: "there" }},</p>
<p>someone (hopefully you) asked to reset the password for {{ user.email }}.</p>
${button('{{ url }}', 'Choose a new password')}
<p style="color:#52606d;font-size:13px">The link works once, for one hour. If you did not ask for this, ignore this mail: your password stays as it is.</p>`,
    ),
  },
  'staff.alert': {
    description: 'An internal alert for staff (expiring trials, seat limits, exhausted credits, overdraft).',
    category: 'alerts',
    sample: { title: 'Seat limit reached', message: 'License "Acme – Photon Studio" uses 5 of 5 seats.', url: 'https://licenses.example.com/console/licenses/lic_01J0SAMPLE', details: { license: 'lic_01J0SAMPLE', customer: 'Acme Corp' } },
    subject: '[Keyhaven] {{ title }}',
    text: `{{ message }}
{% if details %}
{% for item in details %}{{ item[0] }}: {{ item[1] }}
{% endfor %}{% endif %}{% if url %}
{{ url }}{% endif %}
${FOOTER_TEXT}`,
    html: layout(
      '{{ title }}',
      `<h1 style="font-size:18px;margin:0 0 16px">{{ title }}</h1>
<p>{{ message }}</p>
{% if details %}<table style="font-size:14px;border-collapse:collapse">{% for item in details %}<tr><td style="padding:2px 12px 2px 0;color:#52606d">{{ item[0] }}</td><td>{{ item[1] }}</td></tr>{% endfor %}</table>{% endif %}
{% if url %}${button('{{ url }}', 'Open')}{% endif %}`,
    ),
  },
};

const engineOptions = {
  // No file system: include/render/layout cannot read files.
  templates: {},
  strictFilters: true,
  strictVariables: false,
  ownPropertyOnly: true,
  parseLimit: 200_000,
  renderLimit: 2_000,
  memoryLimit: 20_000_000,
} as const;

/** Plain text and subjects: no escaping. HTML: every output is HTML-escaped unless `| raw`. */
const textEngine = new Liquid({ ...engineOptions });
const htmlEngine = new Liquid({ ...engineOptions, outputEscape: 'escape' });

export interface ParsedTemplate {
  subject: Template[];
  text: Template[];
  html: Template[];
}

function position(error: unknown): { line?: number; column?: number } {
  if (error instanceof LiquidError) {
    const token = (error as LiquidError).token as unknown as { getPosition?: () => number[] } | undefined;
    const pos = token?.getPosition?.();
    if (pos && pos.length >= 2) return { line: pos[0]!, column: pos[1]! };
  }
  return {};
}

function invalid(part: keyof TemplateBody, error: unknown): AppError {
  const where = position(error);
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('TEMPLATE_INVALID', `The ${part} template is invalid: ${message}`, { part, ...where });
}

/** Parses all three parts; a syntax error → 400 TEMPLATE_INVALID naming the part, line and column. */
export function parseTemplate(body: TemplateBody): ParsedTemplate {
  const parse = (part: keyof TemplateBody, engine: Liquid) => {
    try {
      return engine.parse(body[part]);
    } catch (error) {
      throw invalid(part, error);
    }
  };
  return { subject: parse('subject', textEngine), text: parse('text', textEngine), html: parse('html', htmlEngine) };
}

/** Renders a parsed template; a render error (limits, a missing partial) → TEMPLATE_INVALID. */
export async function renderTemplate(parsed: ParsedTemplate, variables: Record<string, unknown>): Promise<TemplateBody> {
  // Synchronous rendering: no filter or tag we allow does I/O, and it spares a promise per node.
  const render = (part: keyof TemplateBody, engine: Liquid) => {
    try {
      return String(engine.renderSync(parsed[part], variables));
    } catch (error) {
      throw invalid(part, error);
    }
  };
  const subject = render('subject', textEngine).replace(/\s+/g, ' ').trim().slice(0, 500);
  return { subject, text: render('text', textEngine), html: render('html', htmlEngine) };
}

/** Template keys: lowercase dotted words, e.g. `license.issued`, `order.confirmed`. */
export const TEMPLATE_KEY_PATTERN = '^[a-z][a-z0-9_-]*(\\.[a-z0-9_-]+)+$';
