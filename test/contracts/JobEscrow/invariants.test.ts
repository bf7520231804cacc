/**
 * Stateful property test of JobEscrow (with its MachineRegistry): random sequences of actions over many jobs on two
 * machines — open (any requester, machine, time limit, maxPrice, oracle set: 1-of-1, 3-of-5 or an oracle
 * contract), accept, reportCompletion, attest (valid, too few, duplicated or wrong signatures, another set, bps out
 * of range, run too long), attestByOracle (the oracle or a stranger), refundUnaccepted, refundUnattested, withdraw,
 * the machine made unavailable, accounts blacklisted on the token (payouts deferred), and time jumps across the
 * acceptance timeout, the time limit and the attestation window; every action by the right caller or a wrong one.
 * After every step it checks against a model kept here:
 *
 *  - the model predicts whether each step succeeds, and with which custom error it reverts; the chain agrees;
 *  - every job's status equals the model's (so only legal transitions happened);
 *  - funds are conserved to the wei: the escrow holds the sum of the maxPrice of its unsettled jobs plus the
 *    deferred payouts; every account's token balance and deferred payouts equal the model's.
 *
 * Runs are isolated with evm_snapshot / evm_revert. The seed is fixed so CI is reproducible; FC_SEED=<n> (or
 * FC_SEED=random) explores others, FC_RUNS=<n> changes the run count.
 */
import { expect } from "chai";
import hre, { ethers, network } from "hardhat";
import fc from "fast-check";
import { Interface, MaxUint256, type TransactionReceipt } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import type { BlacklistERC20Mock, JobEscrow, MachineRegistry } from "../../../typechain-types";
import {
  ACCEPTANCE_TIMEOUT,
  ATTESTATION_WINDOW,
  JobStatus,
  contractSet,
  keySet,
  makeSpec,
  oracleWallets,
  quoteOf,
  signAttestation,
  type OracleSet,
  type OracleSignature,
} from "../../helpers/escrow";

const COVERAGE = Boolean((hre as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING);
const NUM_RUNS = Number(process.env.FC_RUNS ?? (COVERAGE ? 3 : 30));
const SEED = process.env.FC_SEED === "random" ? Date.now() % 2 ** 31 : Number(process.env.FC_SEED ?? 20_261_202);
const STEPS = { min: 25, max: 40 };
const GAS_LIMIT = 3_000_000n;
const FUNDING = 10n ** 24n;

/** Actors: 0, 1 requesters; 2, 3 providers (machine 0 and 1); 4 the stranger, also the oracle contract of set 2. */
const ACTORS = 5;
const PROVIDERS = [2, 3] as const;
const ORACLE_CONTRACT = 4;
const TIME_LIMITS = [0n, 60n, 600n, 3600n] as const;
const PRICES = [0n, 1n, 1_000n, 10n ** 18n] as const;
const PRICE_PER_MINUTE = [7n, 10n ** 16n] as const;
const BPS = [0, 5_000, 7_500, 10_000, 10_001, 1, 9_999] as const;
/** Time jumps: mostly within a job's run, now and then past the acceptance timeout or the attestation window. */
const JUMPS = [1n, 59n, 600n, 1_200n, 3_601n, 86_400n, 90_000n] as const;

type SigMode = "ok" | "few" | "dup" | "wrong" | "wrongSet";
type Action =
  | { kind: "open"; actor: number; machine: number; timeLimit: number; price: number; set: number }
  | { kind: "accept"; job: number; caller: number }
  | { kind: "report"; job: number; caller: number; run: number }
  | { kind: "attest"; job: number; bps: number; run: number; mode: SigMode }
  | { kind: "byOracle"; job: number; caller: number; bps: number; run: number }
  | { kind: "refundUnaccepted"; job: number; caller: number }
  | { kind: "refundUnattested"; job: number; caller: number }
  | { kind: "withdraw"; actor: number }
  | { kind: "jump"; by: number }
  | { kind: "blacklist"; actor: number; value: boolean }
  | { kind: "availability"; machine: number; value: boolean };

interface MJob {
  id: string;
  requester: number;
  provider: number;
  machine: number;
  timeLimit: bigint;
  maxPrice: bigint;
  pricePerMinute: bigint;
  set: number;
  status: bigint;
  openedAt: bigint;
  acceptedAt: bigint;
  completedAt: bigint;
}

interface Model {
  now: bigint;
  jobs: MJob[];
  balances: bigint[];
  deferred: bigint[];
  blacklisted: boolean[];
  available: boolean[];
  salt: number;
}

const actor = fc.nat({ max: ACTORS - 1 });
/** -1: the right caller for the action (the job's provider; for withdraw, the account owed the most). */
const caller = fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: actor });
const jobPick = fc.nat({ max: 1_000 });
const runPick = fc.nat({ max: 4 });
const bpsPick = fc.nat({ max: BPS.length - 1 });
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("open" as const),
      actor,
      machine: fc.nat({ max: 1 }),
      timeLimit: fc.nat({ max: TIME_LIMITS.length - 1 }),
      price: fc.nat({ max: PRICES.length - 1 }),
      set: fc.nat({ max: 2 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("accept" as const), job: jobPick, caller }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("report" as const), job: jobPick, caller, run: runPick }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("attest" as const),
      job: jobPick,
      bps: bpsPick,
      run: runPick,
      mode: fc.constantFrom<SigMode>("ok", "ok", "ok", "few", "dup", "wrong", "wrongSet"),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("byOracle" as const),
      job: jobPick,
      caller: fc.constantFrom(ORACLE_CONTRACT, ORACLE_CONTRACT, 0, 2),
      bps: bpsPick,
      run: runPick,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("refundUnaccepted" as const), job: jobPick, caller: actor }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("refundUnattested" as const), job: jobPick, caller: actor }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("withdraw" as const), actor: caller }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("jump" as const),
      by: fc.oneof(
        { weight: 4, arbitrary: fc.nat({ max: 3 }) },
        { weight: 1, arbitrary: fc.integer({ min: 4, max: 6 }) },
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("blacklist" as const), actor: fc.nat({ max: 3 }), value: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("availability" as const),
      machine: fc.nat({ max: 1 }),
      value: fc.boolean(),
    }),
  },
);

describe("JobEscrow invariants (fast-check)", () => {
  let signers: HardhatEthersSigner[];
  let deployer: HardhatEthersSigner;
  let token: BlacklistERC20Mock;
  let registry: MachineRegistry;
  let escrow: JobEscrow;
  let escrowAddress: string;
  let machineIds: string[];
  let sets: OracleSet[];
  let errors: Interface;
  let snapshot: string;
  let signCtx: { chainId: bigint; escrowAddress: string; oracles: ReturnType<typeof oracleWallets> };
  const oracles = oracleWallets(5);

  before(async () => {
    const all = await ethers.getSigners();
    deployer = all[0];
    signers = all.slice(1, 1 + ACTORS);
    token = await ethers.deployContract("BlacklistERC20Mock");
    registry = await ethers.deployContract("MachineRegistry");
    escrow = await ethers.deployContract("JobEscrow", [
      await token.getAddress(),
      await registry.getAddress(),
      ACCEPTANCE_TIMEOUT,
      ATTESTATION_WINDOW,
    ]);
    escrowAddress = await escrow.getAddress();
    for (const signer of signers) {
      await (await token.mint(signer.address, FUNDING)).wait();
      await (await token.connect(signer).approve(escrowAddress, MaxUint256)).wait();
    }
    machineIds = [];
    for (const [i, provider] of PROVIDERS.entries()) {
      const salt = ethers.id(`machine-${i}`);
      await (
        await registry.connect(signers[provider]).register(salt, makeSpec({ pricePerMinute: PRICE_PER_MINUTE[i] }))
      ).wait();
      machineIds.push(await registry.machineId(signers[provider].address, salt));
    }
    sets = [keySet(oracles.slice(0, 1), 1), keySet(oracles, 3), contractSet(signers[ORACLE_CONTRACT].address)];
    errors = new Interface([
      ...escrow.interface.fragments.filter((f) => f.type === "error"),
      ...token.interface.fragments.filter((f) => f.type === "error"),
      ...registry.interface.fragments.filter((f) => f.type === "error"),
    ]);
    signCtx = { chainId: (await ethers.provider.getNetwork()).chainId, escrowAddress, oracles };
    snapshot = (await network.provider.send("evm_snapshot", [])) as string;
  });

  type Outcome = { ok: true; receipt: TransactionReceipt } | { ok: false; error: string };

  async function send(m: Model, who: number, to: string, data: string): Promise<Outcome> {
    m.now += 1n;
    await network.provider.send("evm_setNextBlockTimestamp", [ethers.toQuantity(m.now)]);
    try {
      const response = await signers[who].sendTransaction({ to, data, gasLimit: GAS_LIMIT });
      return { ok: true, receipt: (await response.wait())! };
    } catch (e) {
      const err = e as { data?: string; transactionHash?: string };
      if (err.transactionHash === undefined) throw e;
      const parsed = err.data && err.data !== "0x" ? errors.parseError(err.data) : null;
      return { ok: false, error: parsed?.name ?? `unknown(${err.data})` };
    }
  }

  /** Pays `amount` to `to` as `_push` does. */
  function push(m: Model, to: number, amount: bigint) {
    if (amount === 0n) return;
    if (m.blacklisted[to]) m.deferred[to] += amount;
    else m.balances[to] += amount;
  }

  function completion(job: MJob): { at: bigint; done: boolean } {
    if (job.status === JobStatus.Accepted) {
      const at = job.acceptedAt + job.timeLimit;
      return { at, done: m0now > at };
    }
    return { at: job.completedAt, done: true };
  }
  /** How often each action ended each way, over all runs (checked at the end: every transition happened). */
  const tally = new Map<string, number>();
  // The time the pending transaction is mined at (set in `step` before predicting).
  let m0now = 0n;

  function attestable(job: MJob): string | null {
    if (job.status !== JobStatus.Accepted && job.status !== JobStatus.Completed) return "JobEscrow_InvalidState";
    const c = completion(job);
    if (!c.done) return "JobEscrow_NotCompleted";
    if (m0now > c.at + ATTESTATION_WINDOW) return "JobEscrow_DeadlinePassed";
    return null;
  }

  function runOf(job: MJob, pick: number): bigint {
    return [0n, 1n, job.timeLimit / 2n, job.timeLimit, job.timeLimit + 1n][pick];
  }

  function settle(m: Model, job: MJob, bps: bigint, run: bigint) {
    const c = completion(job);
    const { payout, refund } = quoteOf(job.maxPrice, job.pricePerMinute, run, bps);
    job.status = JobStatus.Attested;
    job.completedAt = c.at;
    push(m, job.provider, payout);
    push(m, job.requester, refund);
  }

  async function step(m: Model, a: Action): Promise<void> {
    m0now = m.now + 1n;
    // Four picks in five go to a job in a state the action applies to (when there is one), the fifth to any job.
    const running = [JobStatus.Accepted, JobStatus.Completed];
    const pick = (i: number, states: bigint[] = [JobStatus.Open], filter: (job: MJob) => boolean = () => true) => {
      const fitting = m.jobs.filter((job) => states.includes(job.status) && filter(job));
      const pool = i % 5 !== 0 && fitting.length > 0 ? fitting : m.jobs;
      return pool.length === 0 ? undefined : pool[Math.floor(i / 5) % pool.length];
    };
    const who = (c: number, right: number) => (c === -1 ? right : c);
    let expected: string | null = null;
    let outcome: Outcome;
    let apply: () => void = () => {};
    switch (a.kind) {
      case "open": {
        const timeLimit = TIME_LIMITS[a.timeLimit];
        const maxPrice = PRICES[a.price];
        const salt = ethers.id(`job-${m.salt++}`);
        if (!m.available[a.machine]) expected = "JobEscrow_MachineUnavailable";
        else if (timeLimit === 0n) expected = "JobEscrow_InvalidTimeLimit";
        else if (maxPrice === 0n) expected = "JobEscrow_ZeroMaxPrice";
        else if (m.blacklisted[a.actor]) expected = "BlacklistERC20Mock_Blacklisted";
        const data = escrow.interface.encodeFunctionData("open", [
          salt,
          machineIds[a.machine],
          timeLimit,
          maxPrice,
          sets[a.set],
        ]);
        apply = () => {
          m.balances[a.actor] -= maxPrice;
          m.jobs.push({
            id: ethers.keccak256(
              ethers.AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [signers[a.actor].address, salt]),
            ),
            requester: a.actor,
            provider: PROVIDERS[a.machine],
            machine: a.machine,
            timeLimit,
            maxPrice,
            pricePerMinute: PRICE_PER_MINUTE[a.machine],
            set: a.set,
            status: JobStatus.Open,
            openedAt: m0now,
            acceptedAt: 0n,
            completedAt: 0n,
          });
        };
        outcome = await send(m, a.actor, escrowAddress, data);
        break;
      }
      case "accept": {
        const job = pick(a.job);
        if (!job) return;
        const from = who(a.caller, job.provider);
        if (job.status !== JobStatus.Open) expected = "JobEscrow_InvalidState";
        else if (from !== job.provider) expected = "JobEscrow_Unauthorized";
        else if (m0now > job.openedAt + ACCEPTANCE_TIMEOUT) expected = "JobEscrow_DeadlinePassed";
        else if (!m.available[job.machine]) expected = "JobEscrow_MachineUnavailable";
        apply = () => {
          job.status = JobStatus.Accepted;
          job.acceptedAt = m0now;
        };
        outcome = await send(m, from, escrowAddress, escrow.interface.encodeFunctionData("accept", [job.id]));
        break;
      }
      case "report": {
        const job = pick(a.job, [JobStatus.Accepted]);
        if (!job) return;
        const run = runOf(job, a.run);
        const from = who(a.caller, job.provider);
        if (job.status !== JobStatus.Accepted) expected = "JobEscrow_InvalidState";
        else if (from !== job.provider) expected = "JobEscrow_Unauthorized";
        else if (m0now > job.acceptedAt + job.timeLimit) expected = "JobEscrow_DeadlinePassed";
        else if (run > job.timeLimit) expected = "JobEscrow_RunTooLong";
        apply = () => {
          job.status = JobStatus.Completed;
          job.completedAt = m0now;
        };
        const data = escrow.interface.encodeFunctionData("reportCompletion", [job.id, run]);
        outcome = await send(m, from, escrowAddress, data);
        break;
      }
      case "attest": {
        const job = pick(a.job, running, (j) => j.set !== 2);
        if (!job) return;
        const bps = BigInt(BPS[a.bps]);
        const run = runOf(job, a.run);
        const att = { jobId: job.id, bps, runSeconds: run };
        const set = a.mode === "wrongSet" ? sets[(job.set + 1) % 3] : sets[job.set];
        let signatures: OracleSignature[] = [];
        if (set.oracleContract === ethers.ZeroAddress) {
          const members = oracles.filter((o) => set.signers.includes(o.address));
          const all = await signAttestation(signCtx, set, att, members);
          const good = all.slice(0, set.threshold);
          if (a.mode === "few") signatures = good.slice(0, set.threshold - 1);
          else if (a.mode === "dup") signatures = [good[0], ...good];
          else if (a.mode === "wrong") {
            const other = await signAttestation(signCtx, set, { ...att, bps: bps === 0n ? 1n : 0n }, members);
            signatures = [...good.slice(0, -1), other[good.length - 1]];
          } else signatures = good;
        }
        expected = attestable(job);
        if (!expected && bps > 10_000n) expected = "JobEscrow_InvalidBps";
        if (!expected && run > job.timeLimit) expected = "JobEscrow_RunTooLong";
        if (!expected && a.mode === "wrongSet") expected = "JobEscrow_OracleSetMismatch";
        if (!expected && job.set === 2) expected = "JobEscrow_WrongOracleKind";
        if (!expected && a.mode === "few") expected = "JobEscrow_NotEnoughSignatures";
        if (!expected && a.mode === "dup") expected = "JobEscrow_InvalidSignerIndex";
        if (!expected && a.mode === "wrong") expected = "JobEscrow_InvalidSignature";
        apply = () => settle(m, job, bps, run);
        const data = escrow.interface.encodeFunctionData("attest", [att, set, signatures]);
        outcome = await send(m, 4, escrowAddress, data);
        break;
      }
      case "byOracle": {
        const job = pick(a.job, running, (j) => j.set === 2);
        if (!job) return;
        const bps = BigInt(BPS[a.bps]);
        const run = runOf(job, a.run);
        expected = attestable(job);
        if (!expected && bps > 10_000n) expected = "JobEscrow_InvalidBps";
        if (!expected && run > job.timeLimit) expected = "JobEscrow_RunTooLong";
        if (!expected && (job.set !== 2 || a.caller !== ORACLE_CONTRACT)) expected = "JobEscrow_Unauthorized";
        apply = () => settle(m, job, bps, run);
        const data = escrow.interface.encodeFunctionData("attestByOracle", [job.id, bps, run]);
        outcome = await send(m, a.caller, escrowAddress, data);
        break;
      }
      case "refundUnaccepted": {
        const job = pick(a.job);
        if (!job) return;
        if (job.status !== JobStatus.Open) expected = "JobEscrow_InvalidState";
        else if (m0now <= job.openedAt + ACCEPTANCE_TIMEOUT) expected = "JobEscrow_DeadlineNotPassed";
        apply = () => {
          job.status = JobStatus.Refunded;
          push(m, job.requester, job.maxPrice);
        };
        const data = escrow.interface.encodeFunctionData("refundUnaccepted", [job.id]);
        outcome = await send(m, a.caller, escrowAddress, data);
        break;
      }
      case "refundUnattested": {
        const job = pick(a.job, running);
        if (!job) return;
        if (job.status !== JobStatus.Accepted && job.status !== JobStatus.Completed) {
          expected = "JobEscrow_InvalidState";
        } else {
          const c = completion(job);
          if (!c.done) expected = "JobEscrow_NotCompleted";
          else if (m0now <= c.at + ATTESTATION_WINDOW) expected = "JobEscrow_DeadlineNotPassed";
        }
        apply = () => {
          job.status = JobStatus.Refunded;
          push(m, job.requester, job.maxPrice);
        };
        const data = escrow.interface.encodeFunctionData("refundUnattested", [job.id]);
        outcome = await send(m, a.caller, escrowAddress, data);
        break;
      }
      case "withdraw": {
        const most = m.deferred.reduce((best, value, i) => (value > m.deferred[best] ? i : best), 0);
        const from = who(a.actor, most);
        const amount = m.deferred[from];
        if (amount === 0n) expected = "JobEscrow_NothingToWithdraw";
        else if (m.blacklisted[from]) expected = "BlacklistERC20Mock_Blacklisted";
        apply = () => {
          m.deferred[from] = 0n;
          m.balances[from] += amount;
        };
        const data = escrow.interface.encodeFunctionData("withdraw", [signers[from].address]);
        outcome = await send(m, from, escrowAddress, data);
        break;
      }
      case "jump":
        m.now += JUMPS[a.by];
        return;
      case "blacklist": {
        // `value` false toggles (so an account rarely stays blacklisted for long), true blacklists.
        const value = a.value && !m.blacklisted[a.actor];
        m.blacklisted[a.actor] = value;
        await (await token.connect(deployer).setBlacklisted(signers[a.actor].address, value)).wait();
        m.now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
        return;
      }
      case "availability": {
        m.available[a.machine] = a.value;
        const data = registry.interface.encodeFunctionData("setAvailability", [machineIds[a.machine], a.value]);
        outcome = await send(m, PROVIDERS[a.machine], await registry.getAddress(), data);
        expect(outcome.ok, "setAvailability").to.equal(true);
        return;
      }
    }
    const label = JSON.stringify(a);
    const key = `${a.kind}:${expected ?? "ok"}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
    if (expected === null) {
      expect(outcome.ok ? "ok" : outcome.error, label).to.equal("ok");
      apply();
    } else {
      expect(outcome.ok ? "ok" : outcome.error, label).to.equal(expected);
    }
  }

  async function check(m: Model, label: string) {
    let owed = 0n;
    for (const job of m.jobs) {
      if (job.status === JobStatus.Open || job.status === JobStatus.Accepted || job.status === JobStatus.Completed) {
        owed += job.maxPrice;
      }
      expect(await escrow.jobStatus(job.id), `${label}: status of ${job.id}`).to.equal(job.status);
    }
    for (let i = 0; i < ACTORS; i++) {
      owed += m.deferred[i];
      expect(await token.balanceOf(signers[i].address), `${label}: balance of ${i}`).to.equal(m.balances[i]);
      expect(await escrow.deferredPayouts(signers[i].address), `${label}: deferred of ${i}`).to.equal(m.deferred[i]);
    }
    expect(await token.balanceOf(escrowAddress), `${label}: the escrow holds what it owes`).to.equal(owed);
  }

  it("conserves funds and follows the model over random jobs, attestations and time jumps", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: STEPS.min, maxLength: STEPS.max }), async (actions) => {
        await network.provider.send("evm_revert", [snapshot]);
        snapshot = (await network.provider.send("evm_snapshot", [])) as string;
        const m: Model = {
          now: BigInt((await ethers.provider.getBlock("latest"))!.timestamp),
          jobs: [],
          balances: Array<bigint>(ACTORS).fill(FUNDING),
          deferred: Array<bigint>(ACTORS).fill(0n),
          blacklisted: Array<boolean>(ACTORS).fill(false),
          available: [true, true],
          salt: 0,
        };
        // A prologue so every run has a deferred payout withdrawn (an oracle-contract job refunded in full to a
        // blacklisted requester) and jobs in flight: a 1-of-1 job and a 3-of-5 job on machine 0, accepted, and an
        // oracle-contract job on machine 1.
        const prologue: Action[] = [
          { kind: "open", actor: 0, machine: 1, timeLimit: 2, price: 3, set: 2 },
          { kind: "accept", job: 0, caller: -1 },
          { kind: "report", job: 0, caller: -1, run: 2 },
          { kind: "blacklist", actor: 0, value: true },
          { kind: "byOracle", job: 0, caller: ORACLE_CONTRACT, bps: 0, run: 2 },
          { kind: "blacklist", actor: 0, value: false },
          { kind: "withdraw", actor: -1 },
          { kind: "open", actor: 0, machine: 0, timeLimit: 2, price: 3, set: 0 },
          { kind: "open", actor: 1, machine: 0, timeLimit: 3, price: 2, set: 1 },
          { kind: "open", actor: 0, machine: 1, timeLimit: 1, price: 3, set: 2 },
          { kind: "accept", job: 1, caller: -1 },
          { kind: "accept", job: 2, caller: -1 },
        ];
        for (const [i, a] of [...prologue, ...actions].entries()) {
          await step(m, a);
          await check(m, `step ${i} ${JSON.stringify(a)}`);
        }
      }),
      { numRuns: NUM_RUNS, seed: SEED, endOnFailure: true },
    );
    // eslint-disable-next-line no-console -- FC_STATS=1 prints how each action ended, to tune the arbitraries
    if (process.env.FC_STATS) console.log(Object.fromEntries([...tally.entries()].sort()));
    if (!COVERAGE) {
      for (const kind of [
        "open",
        "accept",
        "report",
        "attest",
        "byOracle",
        "refundUnaccepted",
        "refundUnattested",
        "withdraw",
      ]) {
        expect(tally.get(`${kind}:ok`) ?? 0, `${kind} succeeded at least once`).to.be.greaterThan(0);
      }
    }
  });
});
