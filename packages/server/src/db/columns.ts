/**
 * Column types as stored. Both dialects store the same columns: booleans as 0/1 integers, JSON as text,
 * timestamps as `timestamptz` on PostgreSQL and ISO-8601 text on SQLite (written as ISO strings on both;
 * read back through `toIso`). Rows never leave a repository: mappers turn them into domain objects.
 */
export type Timestamp = string | Date;
export type Bool = number;
export type JsonText = string;
