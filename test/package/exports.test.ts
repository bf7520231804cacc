// The package as a user imports it: every subpath of package.json's "exports" resolves (through the exports map,
// from outside the repository) to the built CommonJS in dist/, has its public names, and not the internals; deep
// imports are refused; and TypeScript (module node16) finds the same names through the "types" conditions.
// Needs the build (npm install / npm ci run it through `prepare`; or npm run build).
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "../..");

/** The names each subpath must export. */
const EXPECTED: Record<string, string[]> = {
  accord: [
    // data model
    "getDeal",
    "getDealId",
    "getJobOfferId",
    "AgreementState",
    "PaymentReason",
    "ServiceType",
    "getAgreementStateString",
    "cidToBytes32",
    "bytes32ToCid",
    "dealKey",
    "convertDealPricing",
    "etherToWei",
    "parseJobOffer",
    "parseDeal",
    "checkJobOffer",
    "AccordValidationError",
    "UINT64_MAX",
    // clients
    "JobCreatorClient",
    "ResourceProviderClient",
    "SolverClient",
    "MediatorClient",
    "RegistryClient",
    "AccordContractError",
    // solver
    "matchOffers",
    // capacity pools: the unit calculator
    "computeUnits",
    // deployments
    "loadDeployment",
    "readDeployment",
    "deployAccord",
  ],
  "accord/model": ["getDeal", "getResultId", "AgreementState", "isCid", "parseResult", "mediatorDrawIndex"],
  "accord/clients": [
    "JobCreatorClient",
    "ResourceProviderClient",
    "SolverClient",
    "MediatorClient",
    "RegistryClient",
    "PaymentChannelsClient",
    "JobRequesterClient",
    "JobProviderClient",
  ],
  "accord/solver": ["matchOffers", "MATCH_RULES", "providerTerms", "mutualMediators"],
  "accord/pools": ["computeUnits", "currentPool", "syncCurrentCapacity", "parseReservationData", "reservationDigest"],
  "accord/onboarding": [
    "parseMachineProfile",
    "getMachineProfileId",
    "machineOnChainFields",
    "checkOnboarding",
    "parseNvidiaSmiCsv",
    "parseCpuInfo",
    "probe",
  ],
  "accord/escrow": [
    "keyOracleSet",
    "hashOracleSet",
    "jobEscrowDomain",
    "signAttestation",
    "orderSignatures",
    "quoteJob",
    "decideOutcome",
    "signJobReport",
    "OUTCOMES",
  ],
  "accord/oracle": ["JobOracle", "serveOracle", "collectAttestation", "postReport", "fetchJobReport", "settleByQuorum"],
  "accord/channels": [
    "PayerChannelManager",
    "VoucherStore",
    "ChannelSettler",
    "applyVoucher",
    "parseVoucher",
    "voucherDigest",
  ],
  "accord/retrieval": ["RetrievalClient", "RetrievalProvider", "ChannelManagerPayer", "VoucherStorePayee", "amountFor"],
  "accord/quorum": [
    "OperatorNode",
    "TaskManagerClient",
    "OperatorRegistryClient",
    "blsSign",
    "hashToG1",
    "aggregatorFor",
  ],
  "accord/indexer": ["createIndexer", "Indexer", "openStore", "SqlStore", "loadEntitySchema", "initPgliteDataDir"],
  "accord/server": ["createServer", "createApi", "DEFAULT_LIMITS", "buildApiSdl"],
};

/** The Go-compatible JSON encoder the data model is built on: not part of the package's surface. */
const INTERNALS = [
  "encodeJson",
  "encodeJsonBytes",
  "quoteJsonString",
  "compareUtf8",
  "goStruct",
  "goUint64",
  "opaqueJson",
  "jobOfferSchema",
  "dealSchema",
  "decodeWithSchema",
  "encodeDagPbBlock",
  "cidOfBlock",
  "calculateCid",
];

describe("package: the exports a user imports", function () {
  this.timeout(60_000);
  let consumer: string;

  before(function () {
    const missing = ["dist/src/index.js", "dist/src/index.d.ts"].filter((f) => !fs.existsSync(path.join(ROOT, f)));
    if (missing.length > 0) throw new Error(`${missing.join(", ")} missing: build the package first (npm run build)`);
    // A project outside the repository with the package installed as node_modules/accord (a link to the repo).
    consumer = fs.mkdtempSync(path.join(os.tmpdir(), "accord-consumer-"));
    fs.mkdirSync(path.join(consumer, "node_modules"));
    fs.symlinkSync(ROOT, path.join(consumer, "node_modules", "accord"), "dir");
    fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  });

  after(function () {
    if (consumer) fs.rmSync(consumer, { recursive: true, force: true });
  });

  const resolve = (specifier: string) => require.resolve(specifier, { paths: [consumer] });

  for (const [specifier, names] of Object.entries(EXPECTED)) {
    it(`${specifier} resolves to the built CommonJS and has its public names`, function () {
      const file = resolve(specifier);
      expect(path.relative(ROOT, fs.realpathSync(file))).to.match(/^dist\/src\/.+\.js$/);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(file) as Record<string, unknown>;
      for (const name of names) expect(mod, `${specifier} exports ${name}`).to.have.property(name);
      expect(mod[names[0]], `${specifier}.${names[0]}`).to.not.equal(undefined);
    });
  }

  for (const specifier of ["accord", "accord/model"]) {
    it(`${specifier} does not export the JSON encoder's internals`, function () {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(resolve(specifier)) as Record<string, unknown>;
      const leaked = INTERNALS.filter((name) => name in mod);
      expect(leaked, `internals exported by ${specifier}`).to.deep.equal([]);
    });
  }

  it("refuses deep imports of files the exports map does not list", function () {
    for (const deep of ["accord/dist/src/model/json", "accord/src/model", "accord/dist/src/model/index.js"]) {
      expect(() => resolve(deep), deep).to.throw(/ERR_PACKAGE_PATH_NOT_EXPORTED|not defined by "exports"/);
    }
    expect(fs.realpathSync(resolve("accord/package.json"))).to.equal(path.join(ROOT, "package.json"));
  });

  it("has the same names for TypeScript (module node16) through the types conditions", function () {
    const lines: string[] = [];
    Object.entries(EXPECTED).forEach(([specifier, names], i) => {
      lines.push(`import { ${names.map((n) => `${n} as n${i}_${n}`).join(", ")} } from "${specifier}";`);
      lines.push(`export const used${i} = [${names.map((n) => `n${i}_${n}`).join(", ")}];`);
    });
    lines.push(`import { encodeJson } from "accord/model";`, `export const internal = encodeJson;`);
    const file = path.join(consumer, "index.ts");
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const program = ts.createProgram([file], {
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    });
    const errors = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName === file)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    // Exactly one error: the internal name is not exported.
    expect(errors).to.have.length(1, errors.join("\n"));
    expect(errors[0]).to.match(/has no exported member .*encodeJson/);
  });
});
