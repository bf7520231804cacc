// Named prepared statements for the store's repeated reads.
//
// The store's reads come in few shapes (a compiled query's SQL depends on the entity, the filter's fields and the
// selection, never on the values, which are parameters), and each is run thousands of times with other values. An
// unnamed statement is parsed and planned on every run; a named one is planned once and then runs on PostgreSQL's
// cached plan (its plan cache still re-plans a statement whose generic plan costs more than a custom one). Measured
// on the bench chain (scripts/bench/api-quick.ts data, one deal by id with two references' existence, in process):
// PGlite 400 µs unnamed vs 108 µs prepared, since PGlite's planning reaches the file system through NODEFS for every
// relation it sizes.
//
// A text is named from its second run on (a one-off query never takes a slot), up to `capacity` names; PGlite's
// session keeps the most recently used ones (the least recently used is deallocated), PostgreSQL's pool
// connections keep the names they were given (pg prepares a name once per connection), so past `capacity` new texts
// run unnamed there.

import type { SqlParam } from "./driver";

/** Statement texts that may be prepared: one read (writes run in transactions, unnamed). */
const PREPARABLE = /^(SELECT|WITH) /;

export interface StatementNamesOptions {
  /** Most names held at once (default 256). */
  capacity?: number;
  /** Evict the least recently used name when full (PGlite) instead of leaving new texts unnamed (PostgreSQL). */
  evict?: boolean;
  /** Prefix of the names (default "accord_s"). */
  prefix?: string;
}

/** Which statement texts have a name, and which names fell out (to deallocate). */
export class StatementNames {
  private readonly names = new Map<string, string>();
  private readonly seen = new Set<string>();
  private next = 1;
  private readonly capacity: number;
  private readonly evict: boolean;
  private readonly prefix: string;

  constructor(options: StatementNamesOptions = {}) {
    this.capacity = options.capacity ?? 256;
    this.evict = options.evict ?? false;
    this.prefix = options.prefix ?? "accord_s";
  }

  /**
   * The name `sql` runs under, and whether it is new (to prepare) and what it displaced (to deallocate); undefined
   * when it runs unnamed: not a read, its first run, or no room.
   */
  name(sql: string): { name: string; created: boolean; evicted?: string } | undefined {
    const held = this.names.get(sql);
    if (held !== undefined) {
      if (this.evict) {
        // Most recently used last.
        this.names.delete(sql);
        this.names.set(sql, held);
      }
      return { name: held, created: false };
    }
    if (!PREPARABLE.test(sql)) return undefined;
    if (!this.seen.has(sql)) {
      if (this.seen.size >= this.capacity * 4) this.seen.clear();
      this.seen.add(sql);
      return undefined;
    }
    let evicted: string | undefined;
    if (this.names.size >= this.capacity) {
      if (!this.evict) return undefined;
      const [oldestSql, oldestName] = this.names.entries().next().value as [string, string];
      this.names.delete(oldestSql);
      evicted = oldestName;
    }
    this.seen.delete(sql);
    const name = `${this.prefix}${this.next++}`;
    this.names.set(sql, name);
    return { name, created: true, evicted };
  }

  /** Forgets `sql`'s name (its statement failed to prepare, or is gone). */
  forget(sql: string): void {
    this.names.delete(sql);
  }

  get size(): number {
    return this.names.size;
  }
}

/** A parameter as an SQL literal (for `EXECUTE name(…)`): the text PostgreSQL would have received for it. */
export function sqlLiteral(param: SqlParam): string {
  if (param === null || param === undefined) return "NULL";
  if (Array.isArray(param)) {
    const elements = param.map((e) => (e === null ? "NULL" : `"${e.replace(/[\\"]/g, (c) => `\\${c}`)}"`));
    return quote(`{${elements.join(",")}}`);
  }
  return quote(param);
}

/** A string constant: standard_conforming_strings (on since PostgreSQL 9.1) leaves backslashes as they are. */
function quote(text: string): string {
  if (text.includes("\u0000")) throw new TypeError("a parameter cannot contain a NUL character");
  return `'${text.replace(/'/g, "''")}'`;
}

/** The `EXECUTE` of a prepared statement with `params` as literals. */
export function executeStatement(name: string, params: readonly SqlParam[]): string {
  return params.length === 0 ? `EXECUTE ${name}` : `EXECUTE ${name}(${params.map(sqlLiteral).join(", ")})`;
}
