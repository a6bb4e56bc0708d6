import type { DefaultTemplate } from '../mail/templates.js';

/** The quota alert, to staff alert recipients and to the holder's admins (each with their own link). */
export const CONTRACT_QUOTA_TEMPLATE: DefaultTemplate = {
  description: 'A contract (license pack, volume contract) reached 80% or 100% of its quota: to staff alert recipients and the holder organization’s admins.',
  category: 'alerts',
  sample: {
    title: 'Contract 80% used',
    message: '16 of 20 licenses of the contract are used; 4 remain.',
    contract: { id: 'ctr_01J0SAMPLE', unit: 'licenses', quantity: 20, used: 16, remaining: 4, endsAt: '2027-03-01T00:00:00.000Z' },
    holder: 'Acme Corp',
    url: 'https://licenses.example.com/console/contracts/ctr_01J0SAMPLE',
  },
  subject: '[Keyhaven] {{ title }}: {{ holder }}',
  text: `{{ message }}

Holder: {{ holder }}
Used: {{ contract.used }} of {{ contract.quantity }} {{ contract.unit }}
{% if contract.endsAt %}Ends: {{ contract.endsAt | slice: 0, 10 }}
{% endif %}{% if url %}
{{ url }}{% endif %}
{% if unsubscribeUrl != blank %}
--
You receive this because of your {{ category }} e-mail settings. Unsubscribe: {{ unsubscribeUrl }}{% endif %}`,
  html: `<!doctype html>
<html><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2933;line-height:1.5">
<h1 style="font-size:18px">{{ title }}</h1>
<p>{{ message }}</p>
<table style="font-size:14px"><tr><td style="padding-right:12px;color:#52606d">Holder</td><td>{{ holder }}</td></tr>
<tr><td style="padding-right:12px;color:#52606d">Used</td><td>{{ contract.used }} of {{ contract.quantity }} {{ contract.unit }}</td></tr>
{% if contract.endsAt %}<tr><td style="padding-right:12px;color:#52606d">Ends</td><td>{{ contract.endsAt | slice: 0, 10 }}</td></tr>{% endif %}</table>
{% if url %}<p><a href="{{ url }}">Open the contract</a></p>{% endif %}
<p style="font-size:12px;color:#7b8794">{% if unsubscribeUrl != blank %}You receive this because of your {{ category }} e-mail settings. <a href="{{ unsubscribeUrl }}">Unsubscribe</a>.{% endif %}</p>
</body></html>
`,
};
