/** JSON Schema as it appears in the OpenAPI document (only the parts the tests read). */
export interface JsonSchema {
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

/** One operation of the OpenAPI document: what the tests need to build requests for it. */
export interface Operation {
  operationId: string;
  method: string;
  /** The OpenAPI path, e.g. `/v1/licenses/{id}`. */
  path: string;
  /** `security: []` in the document: no credential needed. */
  public: boolean;
  pathParams: string[];
  /** The schema of each path parameter. */
  pathSchemas: Record<string, JsonSchema>;
  query: Record<string, JsonSchema>;
  requiredQuery: string[];
  body: JsonSchema | undefined;
}

/** Every operation of the document served at `GET /openapi.json` (documentation routes are not in it). */
export function listOperations(doc: { paths: Record<string, Record<string, any>>; security?: unknown[] }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params: any[] = op.parameters ?? [];
      const security = op.security ?? doc.security ?? [];
      ops.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        public: Array.isArray(security) && security.length === 0,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        pathSchemas: Object.fromEntries(params.filter((p) => p.in === 'path').map((p) => [p.name, p.schema as JsonSchema])),
        query: Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema as JsonSchema])),
        requiredQuery: params.filter((p) => p.in === 'query' && p.required).map((p) => p.name),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return ops;
}

/** Fills `{name}` path parameters. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for path parameter ${name} of ${path}`);
    return value;
  });
}
