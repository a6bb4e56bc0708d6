import { SETTINGS, type Setting } from './config.js';

/** The generated part of docs/configuration.md sits between these lines; the rest of the file is prose. */
export const CONFIG_DOCS_START = '<!-- generated:config:start -->';
export const CONFIG_DOCS_END = '<!-- generated:config:end -->';
/** Relative to the repository root. */
export const CONFIG_DOCS_FILE = 'docs/configuration.md';

const INTRO = `# Configuration reference

Every setting is an environment variable, read once at start by \`packages/server/src/config.ts\`, the
only reader of the environment. Invalid values stop the process with exit code 2 and a message that
lists every problem, for example \`PORT must be a whole number from 0 to 65535 (got "abc")\`. Booleans
accept \`true\`/\`false\`, \`1\`/\`0\`, \`yes\`/\`no\` and \`on\`/\`off\`; an empty value counts as unset.

The table below is generated from the \`SETTINGS\` table in config.ts by \`node scripts/config-docs.mjs\`;
edit config.ts and run the script, never the table (config-docs.test.ts fails when they differ). How to
run on PostgreSQL, the master key and backups are in [Operations](operations.md).
`;

const cell = (text: string) => text.replace(/\|/g, '\\|');

function values(setting: Setting): string {
  if (setting.kind === 'int') return `whole number, ${setting.min}–${setting.max}`;
  if (setting.kind === 'bool') return '`true` or `false`';
  return setting.values;
}

function fallback(setting: Setting): string {
  return setting.kind === 'text' ? setting.default : `\`${setting.fallback}\``;
}

/** The Markdown table of every setting, in the order of SETTINGS. */
export function renderConfigTable(): string {
  const rows = Object.entries<Setting>(SETTINGS).map(
    ([name, setting]) => `| \`${name}\` | ${cell(values(setting))} | ${cell(fallback(setting))} | ${cell(setting.description)} |`,
  );
  return ['| Variable | Values | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/**
 * docs/configuration.md as the generator writes it: `current` with the text between the markers replaced,
 * or a new file (intro and table) when there is none or it lost its markers.
 */
export function renderConfigDoc(current: string | undefined): string {
  const generated = `${CONFIG_DOCS_START}\n${renderConfigTable()}\n${CONFIG_DOCS_END}`;
  const start = current?.indexOf(CONFIG_DOCS_START) ?? -1;
  const end = current?.indexOf(CONFIG_DOCS_END) ?? -1;
  if (current === undefined || start < 0 || end < start) return `${INTRO}\n${generated}\n`;
  return current.slice(0, start) + generated + current.slice(end + CONFIG_DOCS_END.length);
}
