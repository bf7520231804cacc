// The host conformance suite's harness: builds the AssemblyScript fixture (fixture/) with graph-cli into a temporary
// directory, and runs its one event, Case(kind, a, b, data, text), through SubgraphRunner into an in-memory writer.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AbiCoder, id as keccakText, toBeHex } from "ethers";
import { loadSubgraph } from "../../../src/indexer/subgraph/manifest";
import {
  SubgraphRunner,
  type RunnerLogger,
  type RunnerWriter,
  type TriggerBlock,
  type TriggerLog,
} from "../../../src/indexer/subgraph/runner";
import type { EntityRecord } from "../../../src/indexer/store/types";
import type { MergeBase } from "../../../src/indexer/store/writer";

const ROOT = path.resolve(__dirname, "../../..");
const FIXTURE = path.join(__dirname, "fixture");
/** The data source's address (fixture/subgraph.yaml). */
export const PROBE = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const TOPIC0 = keccakText("Case(string,int256,int256,bytes,string)");
/** Schema lines graph codegen refuses (lists with nullable items); graph build and the host take them. */
const CODEGEN_SKIP = "# left out of codegen's copy";

/**
 * Copies a subgraph fixture (default this suite's) into a temporary directory (src/*.as as .ts, node_modules linked
 * so graph-cli finds graph-ts), lets `prepare` adjust the copy (e.g. write an address into its manifest), runs graph
 * codegen and graph build there and returns the directory. ~10 s.
 */
export function buildFixture(fixture = FIXTURE, prepare?: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "accord-subgraph-"));
  fs.cpSync(fixture, dir, { recursive: true });
  prepare?.(dir);
  for (const file of fs.readdirSync(path.join(dir, "src"))) {
    if (file.endsWith(".as"))
      fs.renameSync(path.join(dir, "src", file), path.join(dir, "src", file.replace(/\.as$/, ".ts")));
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  const graph = path.join(ROOT, "node_modules", ".bin", "graph");
  // graph-cli's oclif update check would query the npm registry on every run.
  const options = { cwd: dir, env: { ...process.env, GRAPH_SKIP_NEW_VERSION_CHECK: "true" }, stdio: "pipe" as const };
  const schemaFile = path.join(dir, "schema.graphql");
  const schema = fs.readFileSync(schemaFile, "utf8");
  const run = (args: string[]): void => {
    try {
      execFileSync(graph, args, options);
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(`graph ${args[0]} failed:\n${String(stdout ?? "")}${String(stderr ?? "")}`, { cause: error });
    }
  };
  fs.writeFileSync(
    schemaFile,
    schema
      .split("\n")
      .filter((line) => !line.includes(CODEGEN_SKIP))
      .join("\n"),
  );
  run(["codegen", "subgraph.yaml", "--output-dir", "generated", "--skip-migrations"]);
  fs.writeFileSync(schemaFile, schema);
  run(["build", "subgraph.yaml", "--output-dir", "build", "--skip-migrations"]);
  return dir;
}

const key = (entity: string, id: string): string => `${entity}\u0000${id}`;

/**
 * The runner's writer, in memory. An entity nobody wrote is unknown until prefetched (as SqlBatchWriter's cache
 * misses are), so the runner's load-and-rerun path runs too; prefetched, it does not exist.
 */
export class MemoryWriter implements RunnerWriter {
  private readonly records = new Map<string, EntityRecord | null>();
  private readonly blocks = new Map<string, number>();
  private readonly prefetched = new Set<string>();
  /** Every setNow/removeNow, in order. */
  readonly writes: { entity: string; id: string; record: EntityRecord | null; block: number }[] = [];

  peek(entity: string, id: string): EntityRecord | null | undefined {
    const k = key(entity, id);
    if (this.records.has(k)) return this.records.get(k) ?? null;
    return this.prefetched.has(k) ? null : undefined;
  }
  mergeBase(entity: string, id: string): MergeBase {
    const known = this.peek(entity, id);
    return known === undefined ? { known: false, partial: null } : { known: true, record: known };
  }
  lastWriteBlock(entity: string, id: string): number | undefined {
    return this.blocks.get(key(entity, id));
  }
  /** Nothing is stored but what was written: a blind save's fields are the whole entity. */
  setBlind(entity: string, fields: EntityRecord, block: number): void {
    this.setNow(entity, fields, block);
  }
  setNow(entity: string, record: EntityRecord, block: number): void {
    const id = String(record.id);
    this.records.set(key(entity, id), record);
    this.blocks.set(key(entity, id), block);
    this.writes.push({ entity, id, record, block });
  }
  removeNow(entity: string, id: string, block: number): void {
    this.records.set(key(entity, id), null);
    this.blocks.set(key(entity, id), block);
    this.writes.push({ entity, id, record: null, block });
  }
  prefetch(entity: string, ids: Iterable<string>): Promise<void> {
    for (const id of ids) this.prefetched.add(key(entity, id));
    return Promise.resolve();
  }

  /** The entity as stored (undefined: never written; null: removed). */
  get(entity: string, id: string): EntityRecord | null | undefined {
    return this.records.get(key(entity, id));
  }
}

export interface LogLine {
  level: "error" | "warn" | "info" | "debug";
  msg: string;
}

export function memoryLogger(lines: LogLine[]): RunnerLogger {
  return {
    error: (_obj, msg) => lines.push({ level: "error", msg }),
    warn: (_obj, msg) => lines.push({ level: "warn", msg }),
    info: (_obj, msg) => lines.push({ level: "info", msg }),
    debug: (_obj, msg) => lines.push({ level: "debug", msg }),
  };
}

/** One Case event. */
export interface CaseEvent {
  kind: string;
  a?: bigint;
  b?: bigint;
  /** 0x-hex. */
  data?: string;
  text?: string;
}

const abi = AbiCoder.defaultAbiCoder();

/** Runs cases through the fixture's subgraph: one block per call, in the order given. */
export class Harness {
  readonly writer = new MemoryWriter();
  readonly logs: LogLine[] = [];
  readonly runner: SubgraphRunner;
  private block = 1;
  private logIndex = 0;

  constructor(dir: string) {
    this.runner = new SubgraphRunner(loadSubgraph(dir), memoryLogger(this.logs));
  }

  /** Runs `cases` as the logs of one new block; resolves with that block's number. */
  async runBlock(cases: readonly CaseEvent[]): Promise<number> {
    const number = this.block++;
    const block: TriggerBlock = {
      number,
      hash: toBeHex(0xb10c0000 + number, 32),
      parentHash: toBeHex(0xb10c0000 + number - 1, 32),
      timestamp: 1_700_000_000 + number * 12,
    };
    const logs: TriggerLog[] = cases.map((c, i) => ({
      address: PROBE,
      topics: [TOPIC0],
      data: abi.encode(
        ["string", "int256", "int256", "bytes", "string"],
        [c.kind, c.a ?? 0n, c.b ?? 0n, c.data ?? "0x", c.text ?? ""],
      ),
      blockNumber: number,
      blockHash: block.hash,
      transactionHash: toBeHex(0x7e000000 + number * 1000 + i, 32),
      transactionIndex: i,
      logIndex: this.logIndex++,
    }));
    await this.runner.run(this.writer, logs, new Map([[number, block]]));
    return number;
  }

  /** Out[id].texts, which the case must have written. */
  out(id: string): string[] {
    const record = this.writer.get("Out", id);
    if (!record) throw new Error(`no Out ${id} (written: ${this.writer.writes.map((w) => w.id).join(", ")})`);
    return record.texts as string[];
  }
}
