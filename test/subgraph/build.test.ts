// The subgraph builds offline (prepare → graph codegen → graph build) and its mappings save every entity of
// subgraph/schema.graphql. Their runtime behaviour is tested where the embedded indexer runs them
// (test/indexer/parity, reorg, crash; the host in test/indexer/host), since graph test (matchstick) cannot run here.

import { expect } from "chai";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

const ROOT = path.resolve(__dirname, "..", "..");
const SUBGRAPH = path.join(ROOT, "subgraph");
const BUILD_SCRIPT = path.join(SUBGRAPH, "scripts", "build.sh");
const DATA_SOURCES = [
  "DealMarket",
  "ServiceRegistry",
  "CapacityPools",
  "PaymentChannels",
  "OperatorRegistry",
  "TaskManager",
  "QuorumMediator",
  "MachineRegistry",
  "JobEscrow",
  "QuorumJobOracle",
];
const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

/** The entity types of a GraphQL schema: `type X @entity(...)`. */
function schemaEntities(schema: string): string[] {
  return [...schema.matchAll(/^\s*type\s+(\w+)\s+@entity\b/gm)].map((match) => match[1]);
}

/** The mapping sources under subgraph/src, by file name. */
function mappingSources(): Map<string, string> {
  const dir = path.join(SUBGRAPH, "src");
  const sources = new Map<string, string>();
  for (const name of fs.readdirSync(dir).filter((file) => file.endsWith(".ts"))) {
    sources.set(name, fs.readFileSync(path.join(dir, name), "utf8"));
  }
  return sources;
}

/** Local names under which `source` imports the entity classes of generated/schema. */
function schemaImports(source: string): Map<string, string> {
  const imports = new Map<string, string>();
  for (const match of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*["']\.\.\/generated\/schema["']/g)) {
    for (const part of match[1]
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean)) {
      const [imported, local] = part.split(/\s+as\s+/).map((item) => item.trim());
      imports.set(imported, local ?? imported);
    }
  }
  return imports;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether `source` constructs `entity` (imported as `local`) into a variable that it then saves. */
function savesEntity(source: string, local: string): boolean {
  const constructed = new RegExp(`\\b(\\w+)\\s*=\\s*new\\s+${escapeRegExp(local)}\\s*\\(`, "g");
  for (const match of source.matchAll(constructed)) {
    if (new RegExp(`\\b${escapeRegExp(match[1])}\\.save\\(\\)`).test(source)) return true;
  }
  return false;
}

describe("subgraph", function () {
  describe("mappings (static)", function () {
    const schema = fs.readFileSync(path.join(SUBGRAPH, "schema.graphql"), "utf8");
    const entities = schemaEntities(schema);
    const sources = mappingSources();

    it("finds the schema's entities and the mapping sources", function () {
      expect(entities).to.include.members(["Deal", "Account", "Service", "Farm", "Node", "Pool", "Workload"]);
      expect([...sources.keys()]).to.include.members([
        "deal-market.ts",
        "service-registry.ts",
        "capacity-pools.ts",
        "payment-channels.ts",
        "operator-registry.ts",
        "task-manager.ts",
        "quorum-mediator.ts",
        "machine-registry.ts",
        "job-escrow.ts",
        "quorum-job-oracle.ts",
      ]);
    });

    it("saves every entity type of schema.graphql in at least one mapping", function () {
      const unsaved = entities.filter(
        (entity) =>
          ![...sources.values()].some((source) => {
            const local = schemaImports(source).get(entity);
            return local !== undefined && savesEntity(source, local);
          }),
      );
      expect(unsaved, "entity types no mapping constructs and saves").to.deep.equal([]);
    });

    it("exports every handler the manifest template names from the file it names", function () {
      const template = fs.readFileSync(path.join(SUBGRAPH, "subgraph.template.yaml"), "utf8");
      const dataSources = template.split(/\n {2}- kind: /).slice(1);
      expect(dataSources).to.have.length(DATA_SOURCES.length);
      for (const dataSource of dataSources) {
        const file = /\n {6}file: \.\/src\/([\w-]+\.ts)/.exec(dataSource)?.[1];
        expect(file, "mapping file of a data source").to.be.a("string");
        const source = sources.get(file as string);
        expect(source, `subgraph/src/${file}`).to.be.a("string");
        const handlers = [...dataSource.matchAll(/handler:\s*(\w+)/g)].map((match) => match[1]);
        expect(handlers).to.not.be.empty;
        for (const handler of handlers) {
          expect(source, `${file} exports ${handler}`).to.match(new RegExp(`export\\s+function\\s+${handler}\\s*\\(`));
        }
      }
    });
  });

  describe("build", function () {
    this.timeout(600_000);

    it("runs subgraph/scripts/build.sh offline and produces the WebAssembly of every data source", async function () {
      // --no-deployment: render the checked-in defaults (hardhat, zero addresses), so the test leaves
      // subgraph.yaml as committed whatever deployments/ holds.
      for (const name of DATA_SOURCES) fs.rmSync(path.join(SUBGRAPH, "build", name), { recursive: true, force: true });
      const started = Date.now();
      try {
        await execFileAsync("bash", [BUILD_SCRIPT, "--no-deployment"], {
          cwd: ROOT,
          env: { ...process.env, GRAPH_SKIP_NEW_VERSION_CHECK: "true", FORCE_COLOR: "0" },
          timeout: 540_000,
          maxBuffer: 64 * 1024 * 1024,
        });
      } catch (error) {
        const failure = error as { code?: number | string; stdout?: string; stderr?: string };
        expect.fail(
          `build.sh failed (${failure.code}):\n${(failure.stdout ?? "").slice(-4000)}\n${(failure.stderr ?? "").slice(-4000)}`,
        );
      }
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (process.env.ACCORD_VERBOSE) {
        // eslint-disable-next-line no-console -- timing diagnostics, only with ACCORD_VERBOSE
        console.log(`      subgraph build: ${seconds}s`);
      }

      for (const name of DATA_SOURCES) {
        const wasm = path.join(SUBGRAPH, "build", name, `${name}.wasm`);
        expect(fs.existsSync(wasm), wasm).to.equal(true);
        const bytes = fs.readFileSync(wasm);
        expect(bytes.subarray(0, 4).equals(WASM_MAGIC), `${wasm} is WebAssembly`).to.equal(true);
        expect(bytes.length).to.be.greaterThan(1000);
        expect(fs.existsSync(path.join(SUBGRAPH, "build", name, `${name}.json`)), `${name} ABI`).to.equal(true);
      }
      expect(fs.existsSync(path.join(SUBGRAPH, "build", "subgraph.yaml"))).to.equal(true);
      expect(fs.existsSync(path.join(SUBGRAPH, "build", "schema.graphql"))).to.equal(true);
      expect(fs.existsSync(path.join(SUBGRAPH, "generated", "schema.ts"))).to.equal(true);
    });
  });
});
