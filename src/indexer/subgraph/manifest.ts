// A built subgraph (what `graph build` writes: subgraph.yaml, schema.graphql, the ABIs and one .wasm per data
// source), loaded for the embedded indexer. Accord indexes the subgraph in `subgraph/` by default; `accord index
// --subgraph <dir>` takes any other whose mappings use the host functions in ../wasm/host.ts.
//
// Supported: `ethereum/contract` data sources with event handlers (topic filters included), `context`,
// `startBlock`/`endBlock`. Refused with a clear error: templates (dynamic data sources), block and call handlers,
// `receipt: true`, other kinds — the host has no way to serve them, and indexing without them would be wrong.

import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { id as keccakText } from "ethers";
import { parse as parseYaml } from "yaml";
import { parseEntitySchema } from "../schema";
import type { EntityModel } from "../schema/model";
import type { EntityValue } from "../store/types";
import { StoreKind, type AbiParam, type ContextEntry } from "../wasm/values";

export class SubgraphManifestError extends Error {
  override name = "SubgraphManifestError";
}

export interface AbiEvent {
  type: "event";
  name: string;
  inputs: readonly AbiParam[];
  anonymous?: boolean;
}

export interface EventHandler {
  /** The manifest's signature: `Transfer(indexed address,indexed address,uint256)`. */
  event: string;
  handler: string;
  topic0: string;
  /** Topic filters (topic1..topic3), lower-case; empty = any. */
  topics: (readonly string[])[];
  abiEvent: AbiEvent;
}

export interface DataSource {
  name: string;
  network: string;
  /** Lower-case, or null for a data source without an address (every contract's matching events). */
  address: string | null;
  abiName: string;
  abi: readonly unknown[];
  startBlock: number;
  endBlock: number | null;
  context: ContextEntry[];
  handlers: EventHandler[];
  /** The compiled mapping. */
  wasm: Uint8Array;
  wasmFile: string;
}

export interface SubgraphManifest {
  /** The directory the manifest was read from. */
  dir: string;
  specVersion: string;
  description?: string;
  schemaSource: string;
  model: EntityModel;
  dataSources: DataSource[];
  /** sha256 of the manifest, the schema, the ABIs and the mappings: a different one means different entities. */
  fingerprint: string;
}

type Yaml = Record<string, unknown>;

const isObject = (v: unknown): v is Yaml => typeof v === "object" && v !== null && !Array.isArray(v);

function canonicalType(param: AbiParam): string {
  if (!param.type.startsWith("tuple")) return param.type;
  return `(${(param.components ?? []).map(canonicalType).join(",")})${param.type.slice("tuple".length)}`;
}

/** `Name(type,…)` as keccak hashes it. */
export function canonicalSignature(event: AbiEvent): string {
  return `${event.name}(${event.inputs.map(canonicalType).join(",")})`;
}

/** The manifest's form: `Name(indexed type,…)`. */
export function manifestSignature(event: AbiEvent): string {
  return `${event.name}(${event.inputs.map((i) => `${i.indexed ? "indexed " : ""}${canonicalType(i)}`).join(",")})`;
}

const CONTEXT_KINDS: Record<string, number> = {
  Bool: StoreKind.BOOL,
  String: StoreKind.STRING,
  Int: StoreKind.INT,
  Int8: StoreKind.INT8,
  BigDecimal: StoreKind.BIGDECIMAL,
  BigInt: StoreKind.BIGINT,
  Bytes: StoreKind.BYTES,
};

function parseContext(raw: unknown, where: string): ContextEntry[] {
  if (raw === undefined || raw === null) return [];
  if (!isObject(raw)) throw new SubgraphManifestError(`${where}.context must be a mapping`);
  return Object.entries(raw).map(([key, entry]) => {
    if (!isObject(entry) || typeof entry.type !== "string" || !(entry.type in CONTEXT_KINDS)) {
      throw new SubgraphManifestError(
        `${where}.context.${key} needs { type: ${Object.keys(CONTEXT_KINDS).join(" | ")}, data }`,
      );
    }
    const kind = CONTEXT_KINDS[entry.type];
    let value: EntityValue;
    const data = entry.data;
    if (kind === StoreKind.BOOL) value = Boolean(data);
    else if (kind === StoreKind.INT) value = Number(data);
    else if (kind === StoreKind.INT8 || kind === StoreKind.BIGINT) value = BigInt(String(data));
    else if (kind === StoreKind.BYTES) value = String(data).toLowerCase();
    else value = String(data);
    return { key, kind, value };
  });
}

function readFile(dir: string, file: unknown, where: string): { path: string; bytes: Buffer } {
  if (typeof file !== "string" || file === "") throw new SubgraphManifestError(`${where} needs a file`);
  const full = path.resolve(dir, file);
  if (!fs.existsSync(full)) throw new SubgraphManifestError(`${where}: ${full} does not exist`);
  return { path: full, bytes: fs.readFileSync(full) };
}

function parseDataSource(dir: string, raw: unknown, index: number, hash: ReturnType<typeof createHash>): DataSource {
  const where = `dataSources[${index}]`;
  if (!isObject(raw)) throw new SubgraphManifestError(`${where} must be a mapping`);
  const name = typeof raw.name === "string" ? raw.name : "";
  const at = name ? `data source ${name}` : where;
  if (raw.kind !== "ethereum/contract" && raw.kind !== "ethereum") {
    throw new SubgraphManifestError(`${at}: kind ${String(raw.kind)} is not supported (only ethereum/contract)`);
  }
  const source = isObject(raw.source) ? raw.source : {};
  const mapping = isObject(raw.mapping) ? raw.mapping : {};
  if (mapping.language !== "wasm/assemblyscript") {
    throw new SubgraphManifestError(`${at}: mapping.language must be wasm/assemblyscript`);
  }
  for (const unsupported of ["blockHandlers", "callHandlers"]) {
    if (Array.isArray(mapping[unsupported]) && mapping[unsupported].length > 0) {
      throw new SubgraphManifestError(`${at}: ${unsupported} are not supported by Accord's indexer`);
    }
  }
  const abiName = typeof source.abi === "string" ? source.abi : "";
  const abis = Array.isArray(mapping.abis) ? mapping.abis : [];
  const abiEntry = abis.find((a): a is Yaml => isObject(a) && a.name === abiName);
  if (!abiEntry) throw new SubgraphManifestError(`${at}: source.abi ${abiName || "(missing)"} is not in mapping.abis`);
  const abiFile = readFile(dir, abiEntry.file, `${at} ABI ${abiName}`);
  hash.update(abiFile.bytes);
  const parsedAbi = JSON.parse(abiFile.bytes.toString("utf8")) as unknown;
  const abi = (Array.isArray(parsedAbi) ? parsedAbi : ((parsedAbi as Yaml).abi as unknown[])) ?? [];
  const events = abi.filter((item): item is AbiEvent => isObject(item) && item.type === "event");
  const bySignature = new Map(events.map((e) => [manifestSignature(e), e]));
  const byCanonical = new Map(events.map((e) => [canonicalSignature(e), e]));

  const handlers: EventHandler[] = [];
  for (const [i, h] of (Array.isArray(mapping.eventHandlers) ? mapping.eventHandlers : []).entries()) {
    if (!isObject(h) || typeof h.event !== "string" || typeof h.handler !== "string") {
      throw new SubgraphManifestError(`${at}: eventHandlers[${i}] needs event and handler`);
    }
    if (h.receipt === true) {
      throw new SubgraphManifestError(
        `${at}: ${h.handler} asks for receipt: true, which Accord's indexer does not serve`,
      );
    }
    const signature = h.event.replace(/\s+/g, " ").replace(/, /g, ",");
    const abiEvent = bySignature.get(signature) ?? byCanonical.get(signature.replace(/indexed /g, ""));
    if (!abiEvent) throw new SubgraphManifestError(`${at}: ABI ${abiName} has no event ${signature}`);
    if (abiEvent.anonymous) throw new SubgraphManifestError(`${at}: anonymous event ${signature} cannot be matched`);
    const topics = [h.topic1, h.topic2, h.topic3].map((t) =>
      t === undefined ? [] : (Array.isArray(t) ? t : [t]).map((v) => String(v).toLowerCase()),
    );
    handlers.push({
      event: signature,
      handler: h.handler,
      topic0: keccakText(canonicalSignature(abiEvent)),
      topics,
      abiEvent,
    });
  }
  const wasm = readFile(dir, mapping.file, `${at} mapping`);
  if (!wasm.path.endsWith(".wasm")) {
    throw new SubgraphManifestError(`${at}: mapping.file ${String(mapping.file)} is not built (run graph build)`);
  }
  hash.update(wasm.bytes);
  const address = typeof source.address === "string" ? source.address.toLowerCase() : null;
  if (address !== null && !/^0x[0-9a-f]{40}$/.test(address)) {
    throw new SubgraphManifestError(`${at}: source.address ${address} is not an address`);
  }
  const block = (value: unknown, field: string): number | null => {
    if (value === undefined || value === null) return null;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) throw new SubgraphManifestError(`${at}: source.${field} is not a block`);
    return n;
  };
  return {
    name,
    network: typeof raw.network === "string" ? raw.network : "",
    address,
    abiName,
    abi,
    startBlock: block(source.startBlock, "startBlock") ?? 0,
    endBlock: block(source.endBlock, "endBlock"),
    context: parseContext(raw.context, at),
    handlers,
    wasm: new Uint8Array(wasm.bytes),
    wasmFile: wasm.path,
  };
}

/** The subgraph.yaml of a built subgraph: `dir/subgraph.yaml` or, for a source directory, `dir/build/subgraph.yaml`. */
export function manifestPath(dir: string): string {
  const built = path.join(dir, "build", "subgraph.yaml");
  if (fs.existsSync(built)) return built;
  const direct = path.join(dir, "subgraph.yaml");
  if (fs.existsSync(direct) || dir.endsWith(".yaml")) return dir.endsWith(".yaml") ? dir : direct;
  throw new SubgraphManifestError(`no subgraph.yaml in ${dir} or ${path.join(dir, "build")} (run graph build)`);
}

export function loadSubgraph(dirOrManifest: string): SubgraphManifest {
  const file = manifestPath(path.resolve(dirOrManifest));
  const dir = path.dirname(file);
  const text = fs.readFileSync(file, "utf8");
  const hash = createHash("sha256").update(text);
  const raw = parseYaml(text) as unknown;
  if (!isObject(raw)) throw new SubgraphManifestError(`${file} is not a YAML mapping`);
  if (Array.isArray(raw.templates) && raw.templates.length > 0) {
    throw new SubgraphManifestError(`${file}: templates (dynamic data sources) are not supported by Accord's indexer`);
  }
  const schema = readFile(dir, isObject(raw.schema) ? raw.schema.file : undefined, "schema");
  hash.update(schema.bytes);
  const schemaSource = schema.bytes.toString("utf8");
  const sources = Array.isArray(raw.dataSources) ? raw.dataSources : [];
  if (sources.length === 0) throw new SubgraphManifestError(`${file} has no dataSources`);
  const dataSources = sources.map((s, i) => parseDataSource(dir, s, i, hash));
  return {
    dir,
    specVersion:
      typeof raw.specVersion === "string" || typeof raw.specVersion === "number" ? String(raw.specVersion) : "",
    description: typeof raw.description === "string" ? raw.description : undefined,
    schemaSource,
    model: parseEntitySchema(schemaSource),
    dataSources,
    fingerprint: hash.digest("hex"),
  };
}

/** What identifies the indexed data: the chain and every data source's contract and start block. */
export function subgraphFingerprint(chainId: number, manifest: SubgraphManifest): string {
  return JSON.stringify({
    chainId,
    dataSources: manifest.dataSources.map((s) => [s.name, s.address, s.startBlock, s.endBlock]),
  });
}
