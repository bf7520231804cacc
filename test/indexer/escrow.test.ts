// Provider onboarding and attested job escrow through the embedded indexer: a history on real MachineRegistry,
// JobEscrow and QuorumJobOracle contracts (machines registered, updated, made unavailable and removed; jobs attested
// by a 1-of-1 and a 2-of-3 key set, one with the provider's report and one by the time limit passing, by an oracle
// contract that is an EOA calling attestByOracle, and by the operator quorum through QuorumJobOracle after a first
// task expired unanswered; jobs refunded unaccepted and unattested; a payout deferred to a blacklisted provider and
// withdrawn) backfilled into each store (PGlite, and PostgreSQL when DATABASE_URL is set). The entities must equal the
// contracts' own state field by field (getMachine, getJob, hashOracleSet, deferredPayouts, attestationTask), and
// README's "machines with a GPU of at least 24 GB VRAM under a price, available now" must be answered over GraphQL.

import { expect } from "chai";
import pino from "pino";
import { AbiCoder, MaxUint256, type Signer } from "ethers";
import { createIndexer, type EntityRecord, type SqlStore } from "../../src/indexer";
import { jobStatusNames, machineStatusNames, refundReasonNames } from "../../src/model/enums";
import { createServer, type AccordServer } from "../../src/server/server";
import {
  contractSet,
  keySet,
  makeSpec,
  oracleWallets,
  quoteOf,
  signAttestation,
  type MachineSpec,
  type OracleSet,
} from "../helpers/escrow";
import {
  deployAccord,
  ethers,
  headBlock,
  increaseTime,
  startRpcServer,
  type Accord,
  type RpcServer,
} from "./helpers/chain";
import { cid } from "./helpers/expected";
import { QuorumDriver } from "./helpers/quorum";
import { pglite, postgres, type StoreKind } from "./helpers/stores";
import { graphqlData } from "./helpers/graphql";

const silent = pino({ level: "silent" });
const ZERO = "0x0000000000000000000000000000000000000000";
const abi = AbiCoder.defaultAbiCoder();
const lower = (x: unknown): string => String(x).toLowerCase();
const TIME_LIMIT = 3_600n;
const MAX_PRICE = 10n ** 18n;
const PRICE = 10n ** 16n;
/** JobEscrow's acceptanceTimeout and attestationWindow, and QuorumJobOracle's responseWindow (helpers/chain.ts). */
const ACCEPTANCE_TIMEOUT = 3_600;
const ATTESTATION_WINDOW = 86_400;
const ORACLE_RESPONSE_WINDOW = 600;

async function all(store: SqlStore, entity: string): Promise<EntityRecord[]> {
  const out: EntityRecord[] = [];
  for (let skip = 0; ; skip += 1000) {
    const page = await store.find({ entity, first: 1000, skip });
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

interface History {
  machines: Record<"gpu24" | "cpuOnly" | "gpu48" | "removed", string>;
  /** Every machine change in order: [machine, kind]. */
  changes: [string, string][];
  jobs: Record<"oneOfOne" | "twoOfThree" | "byContract" | "unaccepted" | "unattested" | "deferred" | "quorum", string>;
  sets: Map<string, OracleSet>;
  /** What each attested job paid (JobAttested), and each refunded one returned. */
  outcomes: Map<string, { payout: bigint | null; refund: bigint }>;
  provider: string;
  receiver: string;
  deferred: bigint;
  quorumTasks: string[];
}

async function runHistory(accord: Accord): Promise<History> {
  const { machines, jobEscrow, jobOracle, signers } = accord;
  const [p1, p2, requester, oracleEoa, operator, receiver] = signers.slice(1, 7);
  const addr = async (s: Signer) => lower(await s.getAddress());
  // deployAccord({ blacklistToken: true }) made the token a BlacklistERC20Mock.
  const token = await ethers.getContractAt("BlacklistERC20Mock", await accord.token.getAddress());
  await (await accord.token.connect(requester).approve(await jobEscrow.getAddress(), MaxUint256)).wait();
  const changes: [string, string][] = [];

  const register = async (provider: Signer, salt: string, spec: MachineSpec) => {
    const id = lower(await machines.machineId(await provider.getAddress(), ethers.id(salt)));
    await (await machines.connect(provider).register(ethers.id(salt), spec)).wait();
    changes.push([id, "Registered"]);
    return id;
  };
  const gpu24 = await register(p1, "gpu24", makeSpec({ profile: ethers.id("gpu24"), pricePerMinute: PRICE }));
  const cpuOnly = await register(
    p2,
    "cpu",
    makeSpec({ profile: ethers.id("cpu"), gpuCount: 0n, maxGpuVramMb: 0n, pricePerMinute: PRICE / 2n }),
  );
  const gpu48 = await register(
    p2,
    "gpu48",
    makeSpec({ profile: ethers.id("gpu48"), gpuCount: 2n, maxGpuVramMb: 49_152n, pricePerMinute: PRICE * 5n }),
  );
  await (
    await machines
      .connect(p2)
      .update(
        gpu48,
        makeSpec({ profile: ethers.id("gpu48-v2"), gpuCount: 2n, maxGpuVramMb: 49_152n, pricePerMinute: PRICE * 2n }),
      )
  ).wait();
  changes.push([gpu48, "Updated"]);
  await (await machines.connect(p2).setAvailability(gpu48, false)).wait();
  changes.push([gpu48, "AvailabilitySet"]);
  const removed = await register(p1, "gpu80", makeSpec({ profile: ethers.id("gpu80"), maxGpuVramMb: 81_920n }));
  await (await machines.connect(p1).remove(removed)).wait();
  changes.push([removed, "Removed"]);

  const chainId = (await ethers.provider.getNetwork()).chainId;
  const oracles = oracleWallets(3, "escrow-indexer");
  const ctx = { chainId, escrowAddress: await jobEscrow.getAddress(), oracles };
  const sets = new Map<string, OracleSet>();
  const outcomes = new Map<string, { payout: bigint | null; refund: bigint }>();
  const open = async (salt: string, set: OracleSet) => {
    const id = lower(await jobEscrow.jobId(await requester.getAddress(), ethers.id(salt)));
    await (await jobEscrow.connect(requester).open(ethers.id(salt), gpu24, TIME_LIMIT, MAX_PRICE, set)).wait();
    sets.set(id, set);
    return id;
  };
  const outcomeOf = async (id: string) => {
    const attested = await jobEscrow.queryFilter(jobEscrow.filters.JobAttested(id));
    if (attested.length > 0) {
      outcomes.set(id, { payout: attested[0].args.payout, refund: attested[0].args.refund });
      return;
    }
    const refunded = await jobEscrow.queryFilter(jobEscrow.filters.JobRefunded(id));
    outcomes.set(id, { payout: null, refund: refunded[0].args.amount });
  };
  const attestWith = async (id: string, set: OracleSet, bps: bigint, runSeconds: bigint) => {
    const attestation = { jobId: id, bps, runSeconds };
    const signatures = await signAttestation(ctx, set, attestation);
    await (await jobEscrow.connect(receiver).attest(attestation, set, signatures)).wait();
  };

  // 1-of-1 key set, reported after 20 minutes, full payout.
  const oneSet = keySet([oracles[0]], 1);
  const oneOfOne = await open("one-of-one", oneSet);
  await (await jobEscrow.connect(p1).accept(oneOfOne)).wait();
  await (await jobEscrow.connect(p1).reportCompletion(oneOfOne, 1_200n)).wait();
  await attestWith(oneOfOne, oneSet, 10_000n, 1_200n);

  // 2-of-3 key set, no report: completed by the time limit passing, half paid.
  const twoSet = keySet(oracles, 2);
  const twoOfThree = await open("two-of-three", twoSet);
  await (await jobEscrow.connect(p1).accept(twoOfThree)).wait();
  await increaseTime(Number(TIME_LIMIT) + 1);
  await attestWith(twoOfThree, twoSet, 5_000n, TIME_LIMIT);

  // An oracle contract that is an EOA: its attestByOracle counts.
  const eoaSet = contractSet(await oracleEoa.getAddress());
  const byContract = await open("by-contract", eoaSet);
  await (await jobEscrow.connect(p1).accept(byContract)).wait();
  await (await jobEscrow.connect(p1).reportCompletion(byContract, 600n)).wait();
  await (await jobEscrow.connect(oracleEoa).attestByOracle(byContract, 7_500, 600n)).wait();

  // Never accepted: refunded after the acceptance timeout.
  const unaccepted = await open("unaccepted", oneSet);
  await increaseTime(ACCEPTANCE_TIMEOUT + 1);
  await (await jobEscrow.connect(receiver).refundUnaccepted(unaccepted)).wait();

  // Reported but never attested: refunded after the attestation window.
  const unattested = await open("unattested", twoSet);
  await (await jobEscrow.connect(p1).accept(unattested)).wait();
  await (await jobEscrow.connect(p1).reportCompletion(unattested, 100n)).wait();
  await increaseTime(ATTESTATION_WINDOW + 1);
  await (await jobEscrow.connect(receiver).refundUnattested(unattested)).wait();

  // The provider is blacklisted when it is paid: its payout is deferred, then withdrawn to `receiver`.
  const deferred = await open("deferred", oneSet);
  await (await jobEscrow.connect(p1).accept(deferred)).wait();
  await (await jobEscrow.connect(p1).reportCompletion(deferred, 900n)).wait();
  await (await token.setBlacklisted(await p1.getAddress(), true)).wait();
  await attestWith(deferred, oneSet, 10_000n, 900n);
  const deferredAmount = await jobEscrow.deferredPayouts(await p1.getAddress());
  expect(deferredAmount, "a payout was deferred").to.be.greaterThan(0n);
  await (await token.setBlacklisted(await p1.getAddress(), false)).wait();
  await (await jobEscrow.connect(p1).withdraw(await receiver.getAddress())).wait();

  // The operator quorum through QuorumJobOracle: a first task expires unanswered, the second is answered and applied.
  const driver = new QuorumDriver(accord);
  await driver.register(operator, 7_777_777n, 1_000n, 0b1, "https://operator.example");
  const quorumSet = contractSet(await jobOracle.getAddress());
  const quorum = await open("quorum", quorumSet);
  await (await jobEscrow.connect(p1).accept(quorum)).wait();
  await (await jobEscrow.connect(p1).reportCompletion(quorum, 300n)).wait();
  await (await jobOracle.connect(receiver).requestAttestation(quorum)).wait();
  const first = lower((await jobOracle.attestationTask(quorum)).taskId);
  await increaseTime(ORACLE_RESPONSE_WINDOW + 1);
  await (await jobOracle.connect(receiver).requestAttestation(quorum)).wait();
  const second = lower((await jobOracle.attestationTask(quorum)).taskId);
  const response = abi.encode(["uint256", "uint256"], [10_000n, 300n]);
  await driver.respond(operator, second, response, [await addr(operator)]);
  await (await jobOracle.connect(receiver).applyAttestation(quorum, response)).wait();

  const jobs = { oneOfOne, twoOfThree, byContract, unaccepted, unattested, deferred, quorum };
  for (const id of Object.values(jobs)) await outcomeOf(id);
  return {
    machines: { gpu24, cpuOnly, gpu48, removed },
    changes,
    jobs,
    sets,
    outcomes,
    provider: await addr(p1),
    receiver: await addr(receiver),
    deferred: deferredAmount,
    quorumTasks: [first, second],
  };
}

const STORE_KINDS: StoreKind[] = process.env.DATABASE_URL ? [pglite, postgres] : [pglite];

describe("indexer: machines, escrowed jobs and oracle sets", function () {
  this.timeout(300_000);

  let rpc: RpcServer;
  let accord: Accord;
  let history: History;

  before(async () => {
    rpc = await startRpcServer();
    accord = await deployAccord({ blacklistToken: true });
    history = await runHistory(accord);
  });

  after(async () => rpc?.close());

  for (const kind of STORE_KINDS) {
    describe(`on ${kind.name}`, () => {
      let store: SqlStore;
      let cleanup: () => Promise<void>;

      before(async () => {
        ({ store, cleanup } = await kind.open());
        const indexer = await createIndexer({
          rpcUrl: rpc.url,
          deployment: accord.deployment,
          store,
          follow: false,
          toBlock: await headBlock(),
          logger: silent,
        });
        await indexer.start();
        await indexer.done();
        await indexer.close();
      });
      after(async () => cleanup?.());

      it("indexes the three data sources from the deployment file", async () => {
        const indexer = await createIndexer({ rpcUrl: rpc.url, deployment: accord.deployment, store, logger: silent });
        try {
          for (const name of ["MachineRegistry", "JobEscrow", "QuorumJobOracle"]) {
            const source = indexer.subgraph.dataSources.find((s) => s.name === name)!;
            expect(source, name).to.not.equal(undefined);
            expect(source.address).to.equal(accord.deployment.contracts[name].address);
            expect(source.startBlock).to.equal(accord.deployment.contracts[name].blockNumber);
          }
        } finally {
          await indexer.close();
        }
      });

      it("has every machine as getMachine has it, field by field", async () => {
        const records = await all(store, "Machine");
        expect(records.map((r) => r.id).sort()).to.deep.equal(Object.values(history.machines).sort());
        for (const record of records) {
          const id = record.id as string;
          const m = await accord.machines.getMachine(id);
          const s = m.spec;
          expect(record, id).to.include({
            provider: lower(m.provider),
            status: machineStatusNames[Number(m.status)],
            profile: lower(s.profile),
            profileCid: cid(s.profile),
            cpuCores: Number(s.cpuCores),
            cpuMhz: Number(s.cpuMhz),
            memoryMb: Number(s.memoryMb),
            diskGb: Number(s.diskGb),
            gpuCount: Number(s.gpuCount),
            maxGpuVramMb: Number(s.maxGpuVramMb),
            onboardedCpuMhz: Number(s.onboardedCpuMhz),
            onboardedMemoryMb: Number(s.onboardedMemoryMb),
            pricePerMinute: s.pricePerMinute,
            available: s.available,
            updatedAt: m.updatedAt,
          });
          const registered = await accord.machines.queryFilter(accord.machines.filters.MachineRegistered(id));
          expect(record.salt, `${id}.salt`).to.equal(lower(registered[0].args.salt));
          const block = await ethers.provider.getBlock(registered[0].blockNumber);
          expect(record).to.include({ createdAt: BigInt(block!.timestamp), createdAtBlock: BigInt(block!.number) });
        }
        expect((await store.get("Machine", history.machines.removed))!).to.include({
          status: "Removed",
          available: false,
        });
        expect((await store.get("Machine", history.machines.gpu48))!).to.include({
          profileCid: cid(ethers.id("gpu48-v2")),
          pricePerMinute: PRICE * 2n,
          available: false,
        });
      });

      it("has every machine change in order, each with the spec it left", async () => {
        const records = (await all(store, "MachineChange")).sort((a, b) =>
          a.blockNumber === b.blockNumber ? 0 : (a.blockNumber as bigint) < (b.blockNumber as bigint) ? -1 : 1,
        );
        expect(records.map((r) => [r.machine, r.kind])).to.deep.equal(history.changes);
        const updated = records.find((r) => r.kind === "Updated")!;
        expect(updated).to.include({
          profile: lower(ethers.id("gpu48-v2")),
          pricePerMinute: PRICE * 2n,
          available: true,
        });
        const removed = records.find((r) => r.kind === "Removed")!;
        expect(removed).to.include({ pricePerMinute: 0n, maxGpuVramMb: 0, available: false });
      });

      it("has every job as getJob has it, field by field, with its payout or refund", async () => {
        const records = await all(store, "EscrowJob");
        expect(records.map((r) => r.id).sort()).to.deep.equal(Object.values(history.jobs).sort());
        for (const record of records) {
          const id = record.id as string;
          const j = await accord.jobEscrow.getJob(id);
          expect(record, id).to.include({
            requester: lower(j.requester),
            provider: lower(j.provider),
            machine: lower(j.machineId),
            machineId: lower(j.machineId),
            timeLimit: Number(j.timeLimit),
            maxPrice: j.maxPrice,
            pricePerMinute: j.pricePerMinute,
            oracleSet: lower(j.oracleHash),
            status: jobStatusNames[Number(j.status)],
            openedAt: j.openedAt,
            acceptedAt: j.acceptedAt,
            completedAt: j.completedAt,
            reportedRunSeconds: j.reportedRunSeconds,
            bps: Number(j.bps),
            runSeconds: j.runSeconds,
          });
          const outcome = history.outcomes.get(id)!;
          expect(record, id).to.include({ payout: outcome.payout, refund: outcome.refund });
          if (outcome.payout !== null) {
            const q = quoteOf(j.maxPrice, j.pricePerMinute, j.runSeconds, j.bps);
            expect([outcome.payout, outcome.refund], `${id} quote`).to.deep.equal([q.payout, q.refund]);
          }
        }
        const { jobs } = history;
        expect((await store.get("EscrowJob", jobs.unaccepted))!).to.include({
          status: "Refunded",
          refundReason: refundReasonNames[0],
          refund: MAX_PRICE,
          acceptedAt: 0n,
        });
        expect((await store.get("EscrowJob", jobs.unattested))!).to.include({
          status: "Refunded",
          refundReason: "Unattested",
          refund: MAX_PRICE,
        });
        // Attested without a report: completed when its time limit passed.
        const limitPassed = (await store.get("EscrowJob", jobs.twoOfThree))!;
        expect(limitPassed.completedAt).to.equal((limitPassed.acceptedAt as bigint) + TIME_LIMIT);
        expect(limitPassed).to.include({ reportedRunSeconds: 0n, refundReason: null, status: "Attested" });
      });

      it("has every oracle set as hashOracleSet hashes it", async () => {
        const records = await all(store, "OracleSet");
        const expected = new Map<string, OracleSet>();
        for (const set of history.sets.values()) expected.set(lower(await accord.jobEscrow.hashOracleSet(set)), set);
        expect(records.map((r) => r.id).sort()).to.deep.equal([...expected.keys()].sort());
        for (const record of records) {
          const set = expected.get(record.id as string)!;
          const isContract = set.oracleContract !== ZERO;
          expect(record).to.deep.include({
            kind: isContract ? "Contract" : "KeySet",
            signers: set.signers.map(lower),
            threshold: set.threshold,
            oracleContract: isContract ? lower(set.oracleContract) : null,
          });
        }
      });

      it("has the provider's deferred payout, withdrawn", async () => {
        expect((await store.get("EscrowAccount", history.provider))!).to.include({
          deferredPayout: await accord.jobEscrow.deferredPayouts(history.provider),
          totalDeferred: history.deferred,
          totalWithdrawn: history.deferred,
          deferralCount: 1,
          withdrawalCount: 1,
          lastWithdrawnTo: history.receiver,
        });
        expect(await all(store, "EscrowAccount")).to.have.length(1);
      });

      it("has QuorumJobOracle's attestation requests, linked to their tasks, the second applied", async () => {
        const [first, second] = history.quorumTasks;
        const job = history.jobs.quorum;
        const oracle = lower(await accord.jobOracle.getAddress());
        expect((await store.get("QuorumAttestationRequest", first))!).to.include({
          oracle,
          job,
          jobId: job,
          task: first,
          attempt: 0,
          applied: false,
          aggregator: null,
          bps: null,
        });
        const task = await accord.tasks.getTask(second);
        expect((await store.get("QuorumAttestationRequest", second))!).to.include({
          job,
          task: second,
          attempt: 1,
          applied: true,
          aggregator: lower(task.aggregator),
          bps: 10_000,
          runSeconds: 300n,
        });
        expect((await accord.jobOracle.attestationTask(job)).attempts).to.equal(2n);
        expect((await store.get("Task", first))!.status).to.equal("Open");
        expect((await store.get("Task", second))!.status).to.equal("Responded");
      });

      it("references only entities that exist", async () => {
        for (const entity of store.model.entities) {
          for (const field of entity.fields.filter((f) => f.kind === "entity" && !f.derivedFrom)) {
            for (const record of await all(store, entity.name)) {
              const value = record[field.name];
              const ids = value === null ? [] : field.list ? (value as string[]) : [value as string];
              for (const id of ids) {
                expect(
                  await store.get(field.type, id),
                  `${entity.name} ${String(record.id)}.${field.name}`,
                ).to.not.equal(null);
              }
            }
          }
        }
      });

      describe("over GraphQL", () => {
        let server: AccordServer;
        const gql = (query: string, variables: Record<string, unknown> = {}) =>
          graphqlData(server.url, query, variables);

        before(async () => {
          server = await createServer({ store, port: 0, logger: silent });
        });
        after(async () => server?.close());

        it("answers “machines with a GPU of at least 24 GB VRAM under price P, available now”", async () => {
          const query = `query($p: BigInt!) {
            machines(where: {maxGpuVramMb_gte: 24576, pricePerMinute_lt: $p, available: true, status: Active}) {
              id provider maxGpuVramMb pricePerMinute profileCid
            }
          }`;
          // gpu48 is cheap enough at 3·PRICE but unavailable; the CPU-only machine has no GPU; gpu80 was removed.
          const cheap = (await gql(query, { p: String(PRICE * 3n) })) as { machines: { id: string }[] };
          expect(cheap.machines.map((m) => m.id)).to.deep.equal([history.machines.gpu24]);
          const tooCheap = (await gql(query, { p: String(PRICE) })) as { machines: { id: string }[] };
          expect(tooCheap.machines).to.deep.equal([]);
        });

        it("answers “a machine's jobs with their oracle set and outcome”", async () => {
          const { machine } = (await gql(
            `query($id: ID!) { machine(id: $id) { jobs(orderBy: openedAt) { id status payout refund refundReason
              oracleSet { kind threshold signers } attestationRequests { attempt applied } } } }`,
            { id: history.machines.gpu24 },
          )) as {
            machine: {
              jobs: { id: string; status: string; oracleSet: { kind: string }; attestationRequests: unknown[] }[];
            };
          };
          const { jobs } = history;
          expect(machine.jobs.map((j) => j.id)).to.deep.equal([
            jobs.oneOfOne,
            jobs.twoOfThree,
            jobs.byContract,
            jobs.unaccepted,
            jobs.unattested,
            jobs.deferred,
            jobs.quorum,
          ]);
          const quorum = machine.jobs.find((j) => j.id === jobs.quorum)!;
          expect(quorum.oracleSet.kind).to.equal("Contract");
          expect(quorum.attestationRequests).to.have.deep.members([
            { attempt: 0, applied: false },
            { attempt: 1, applied: true },
          ]);
          const { escrowJobs } = (await gql(
            `{ escrowJobs(where: {status: Refunded}, orderBy: openedAt) { id refundReason } }`,
          )) as { escrowJobs: { id: string; refundReason: string }[] };
          expect(escrowJobs).to.deep.equal([
            { id: jobs.unaccepted, refundReason: "Unaccepted" },
            { id: jobs.unattested, refundReason: "Unattested" },
          ]);
        });
      });
    });
  }
});
