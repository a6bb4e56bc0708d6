import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Deeper nesting is refused: no request needs it, and serializing it (JSON.stringify) would overflow the stack. */
export const MAX_NESTING = 32;

const YEAR_1 = Date.parse('0001-01-01T00:00:00.000Z');
const YEAR_10000 = Date.parse('+010000-01-01T00:00:00.000Z');

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    // Unknown fields are an error (400), never silently dropped.
    removeAdditional: false,
    coerceTypes: coerce ? 'array' : false,
    strict: false,
  });
  addFormats(ajv);
  // RFC 3339 allows a leap second (23:59:60) and years JavaScript dates and PostgreSQL handle differently;
  // accept a timestamp only if it is a real instant from year 1 to 9999 in UTC.
  const rfc3339 = ajv.formats['date-time'] as { validate: (s: string) => boolean };
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (s: string) => {
      if (!rfc3339.validate(s)) return false;
      const ms = Date.parse(s);
      return Number.isFinite(ms) && ms >= YEAR_1 && ms < YEAR_10000;
    },
  });
  return ajv;
}

/**
 * What JSON Schema cannot say about any input: no NUL character in any string or key (PostgreSQL cannot
 * store it, and no legitimate value holds one), and no nesting deeper than MAX_NESTING. Iterative, so a
 * hostile document cannot exhaust the stack here either.
 */
function inputProblem(data: unknown): { instancePath: string; message: string } | undefined {
  const stack: [unknown, string, number][] = [[data, '', 0]];
  while (stack.length > 0) {
    const [value, path, depth] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { instancePath: path, message: 'must not contain the NUL character' };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_NESTING) return { instancePath: path, message: `must not be nested more than ${MAX_NESTING} levels deep` };
    for (const [key, child] of Object.entries(value)) {
      if (key.includes('\u0000')) return { instancePath: path, message: 'must not have a key with the NUL character' };
      stack.push([child, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth + 1]);
    }
  }
  return undefined;
}

type Validator = ((data: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null };

/** The schema check, then the checks every input gets whatever its schema says. */
function guarded(validate: ValidateFunction): Validator {
  const validator: Validator = (data) => {
    if (!validate(data)) {
      validator.errors = validate.errors;
      return false;
    }
    const problem = inputProblem(data);
    if (problem) {
      validator.errors = [{ ...problem, keyword: 'input', params: {}, schemaPath: '#' }];
      return false;
    }
    validator.errors = null;
    return true;
  };
  return validator;
}

/**
 * Bodies are checked strictly (a "5" is not a 5); query strings and path parameters are text by nature,
 * so they are coerced to the declared types.
 */
export function registerSchemaValidation(app: FastifyInstance): void {
  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) => guarded((httpPart === 'body' ? strict : coercing).compile(schema)));
}
