#!/usr/bin/env node
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, StartupError, type Config } from './config.js';
import { isStaffRole, ROLES, SYSTEM_ACTOR, type Role } from './http/access.js';
import { AppError } from './http/errors.js';
import type { RequestContext } from './modules/events/events.service.js';
import { POLICY_KINDS, type PolicyKind } from './modules/policies/policies.repository.js';
import { findUserRowByEmail } from './modules/users/users.repository.js';
import { openRuntime } from './runtime.js';
import { serve, SERVE_ROLES, type ServeRole } from './serve.js';
import { createServices, type Services } from './services.js';

const USAGE = `Usage: keyhaven <command> [options]

Commands:
  serve [--role all|api|worker]           Run the server (migrates first): API and job worker (all, the
                                          default), or one of them
  migrate                                 Apply pending database migrations
  admin create --email E --password P [--name N] [--role owner|admin|support|sales|read-only]
  admin set-password --email E --password P   (any user: staff or customer)
  token create --name N [--role R] [--customer ID] [--expires-days D]
  product create --name N [--code C]
  policy create --product ID --name N --kind perpetual|timed|subscription|trial
                [--duration-days D] [--max-machines M] [--floating] [--heartbeat-seconds S]
                [--grace-days G] [--features a,b] [--offline-max-days D]
  customer create --name N --email E
  license create --policy ID [--customer ID] [--name N] [--expires ISO] [--max-machines M]
                 [--features a,b] [--domains a.com,*.b.com]
  license show <license id or key>

Configuration comes from the environment (see docs/operations.md: PORT, DATABASE_URL, KEYHAVEN_DATA_DIR, ...).`;

const OPTIONS = {
  email: { type: 'string' },
  password: { type: 'string' },
  name: { type: 'string' },
  role: { type: 'string' },
  customer: { type: 'string' },
  'expires-days': { type: 'string' },
  code: { type: 'string' },
  product: { type: 'string' },
  kind: { type: 'string' },
  'duration-days': { type: 'string' },
  'max-machines': { type: 'string' },
  floating: { type: 'boolean' },
  'heartbeat-seconds': { type: 'string' },
  'grace-days': { type: 'string' },
  'offline-max-days': { type: 'string' },
  features: { type: 'string' },
  domains: { type: 'string' },
  policy: { type: 'string' },
  expires: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const KNOWN = new Set([
  'admin create',
  'admin set-password',
  'token create',
  'product create',
  'policy create',
  'customer create',
  'license create',
  'license show',
]);

const cliCtx: RequestContext = { actor: { ...SYSTEM_ACTOR, label: 'cli' } };

function need(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new AppError('VALIDATION_FAILED', `--${flag} is required`);
  return value;
}
function int(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new AppError('VALIDATION_FAILED', `--${flag} must be a whole number`);
  return n;
}
const list = (value: string | undefined) => (value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter(Boolean));
const print = (value: unknown) => process.stdout.write(JSON.stringify(value, null, 2) + '\n');

/** Commands that only read or change what exists: on an empty new database they can only fail. */
const NEEDS_EXISTING = new Set(['admin set-password', 'license show']);

/** The data directory `npm start` uses: `data/` at the repository root (this file is packages/server/{src,dist}/cli). */
const REPO_DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data');

/** Which database a command works on, in words (a PostgreSQL URL without its password). */
function databaseName(config: Config): string {
  if (config.database.dialect === 'sqlite') return config.database.file;
  const url = new URL(config.database.url);
  url.password = '';
  return `PostgreSQL ${url.toString()}`;
}

/**
 * The CLI works on the database directly. Without KEYHAVEN_DATA_DIR that is `./data` of the working
 * directory, which need not be the server's: never make a new, empty database silently. A command that
 * needs existing data refuses; one that creates says where it created the database, and names a
 * database that exists where `npm start` keeps it.
 */
function checkDataDir(config: Config, route: string): void {
  if (config.database.dialect !== 'sqlite' || existsSync(config.database.file)) return;
  const elsewhere = path.join(REPO_DATA_DIR, 'keyhaven.sqlite');
  const hint =
    (config.dataDirFromEnv ? '' : 'KEYHAVEN_DATA_DIR is not set, so the CLI uses ./data of the current directory. ') +
    (elsewhere !== config.database.file && existsSync(elsewhere)
      ? `The server started with npm start keeps its database in ${REPO_DATA_DIR}: run with KEYHAVEN_DATA_DIR=${REPO_DATA_DIR}.`
      : "Set KEYHAVEN_DATA_DIR to the server's data directory (or DATABASE_URL to its PostgreSQL).");
  if (NEEDS_EXISTING.has(route)) throw new StartupError(`No Keyhaven database at ${config.database.file}. ${hint}`);
  process.stderr.write(`Warning: no Keyhaven database at ${config.database.file}; creating a new, empty one. ${hint}\n`);
}

async function withServices(config: Config, run: (services: Services) => Promise<void>): Promise<void> {
  const runtime = await openRuntime(config);
  const services = createServices(runtime);
  try {
    await run(services);
  } finally {
    await services.validationLog.close();
    await runtime.database.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const { values: o, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [command, sub, arg] = positionals;
  if (o.help || !command) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const route = `${command}${sub ? ' ' + sub : ''}`;
  if (!KNOWN.has(route) && command !== 'serve' && command !== 'migrate') {
    throw new AppError('VALIDATION_FAILED', `Unknown command "${route}"\n\n${USAGE}`);
  }
  const config = loadConfig();

  if (command === 'serve') {
    const role = (o.role ?? 'all') as ServeRole;
    if (!SERVE_ROLES.includes(role)) throw new AppError('VALIDATION_FAILED', `--role must be one of ${SERVE_ROLES.join(', ')}`);
    return serve(config, role);
  }
  checkDataDir(config, route);
  if (command === 'migrate') {
    const runtime = await openRuntime(config);
    await runtime.database.close();
    process.stdout.write(runtime.migrations.length ? `Applied: ${runtime.migrations.join(', ')}\n` : 'The database is up to date.\n');
    return;
  }

  await withServices(config, async (s) => {
    switch (route) {
      case 'admin create': {
        const role = (o.role ?? 'owner') as Role;
        if (!isStaffRole(role)) throw new AppError('VALIDATION_FAILED', `--role must be a staff role: owner, admin, support, sales, read-only`);
        const password = need(o.password, 'password');
        if (password.length < 10) throw new AppError('VALIDATION_FAILED', 'The password needs at least 10 characters');
        const user = await s.users.create(cliCtx, { email: need(o.email, 'email'), password, role, name: o.name ?? null });
        print(user);
        return;
      }
      case 'admin set-password': {
        const row = await findUserRowByEmail(s.database.db, need(o.email, 'email'));
        if (!row) throw new AppError('NOT_FOUND', `No user has the e-mail ${o.email} in the database ${databaseName(config)}`);
        const password = need(o.password, 'password');
        if (password.length < 10) throw new AppError('VALIDATION_FAILED', 'The password needs at least 10 characters');
        print(await s.users.update(cliCtx, row.id, { password }));
        return;
      }
      case 'token create': {
        const role = (o.role ?? 'admin') as Role;
        if (!ROLES.includes(role)) throw new AppError('VALIDATION_FAILED', `--role must be one of ${ROLES.join(', ')}`);
        const days = int(o['expires-days'], 'expires-days');
        const { token, apiToken } = await s.auth.createToken(cliCtx, {
          name: need(o.name, 'name'),
          role,
          ...(o.customer ? { customerId: o.customer } : {}),
          ...(days ? { expiresInDays: days } : {}),
        });
        print({ ...apiToken, token });
        process.stderr.write('Keep the token now: it is stored only as a digest and cannot be shown again.\n');
        return;
      }
      case 'product create':
        print(await s.products.create(cliCtx, { name: need(o.name, 'name'), ...(o.code ? { code: o.code } : {}) }));
        return;
      case 'policy create': {
        const kind = need(o.kind, 'kind') as PolicyKind;
        if (!POLICY_KINDS.includes(kind)) throw new AppError('VALIDATION_FAILED', `--kind must be one of ${POLICY_KINDS.join(', ')}`);
        const duration = int(o['duration-days'], 'duration-days');
        const machines = int(o['max-machines'], 'max-machines');
        const heartbeat = int(o['heartbeat-seconds'], 'heartbeat-seconds');
        const grace = int(o['grace-days'], 'grace-days');
        const offlineMaxDays = int(o['offline-max-days'], 'offline-max-days');
        print(
          await s.policies.create(cliCtx, {
            productId: need(o.product, 'product'),
            name: need(o.name, 'name'),
            kind,
            ...(duration !== undefined ? { durationDays: duration } : {}),
            ...(machines !== undefined ? { maxMachines: machines } : {}),
            ...(o.floating ? { floating: true } : {}),
            ...(heartbeat !== undefined ? { heartbeatSeconds: heartbeat } : {}),
            ...(grace !== undefined ? { graceDays: grace } : {}),
            ...(offlineMaxDays !== undefined ? { offlineMaxDays } : {}),
            ...(o.features ? { features: list(o.features)! } : {}),
          }),
        );
        return;
      }
      case 'customer create':
        print(await s.customers.create(cliCtx, { name: need(o.name, 'name'), email: need(o.email, 'email') }));
        return;
      case 'license create': {
        const machines = int(o['max-machines'], 'max-machines');
        const { license, key } = await s.licenses.create(cliCtx, {
          policyId: need(o.policy, 'policy'),
          ...(o.customer ? { customerId: o.customer } : {}),
          ...(o.name ? { name: o.name } : {}),
          ...(o.expires ? { expiresAt: new Date(o.expires).toISOString() } : {}),
          ...(machines !== undefined ? { maxMachines: machines } : {}),
          ...(o.features ? { features: list(o.features)! } : {}),
          ...(o.domains ? { domains: list(o.domains)! } : {}),
        });
        print({ ...license, key });
        return;
      }
      case 'license show': {
        const ref = need(sub === 'show' ? arg : undefined, 'license id or key (positional)');
        print(ref.startsWith('lic_') ? await s.licenses.get(cliCtx, ref) : await s.licenses.getByKey(cliCtx, ref));
        return;
      }
      default:
        throw new AppError('VALIDATION_FAILED', `Unknown command "${route}"\n\n${USAGE}`);
    }
  });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StartupError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof AppError) {
    process.stderr.write(`Error (${error.code}): ${error.message}\n`);
    if (error.details) process.stderr.write(JSON.stringify(error.details) + '\n');
    process.exit(1);
  }
  if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
