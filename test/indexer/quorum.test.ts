// Operator quorums through the embedded indexer: a history on real OperatorRegistry and TaskManager contracts
// (operators registered with BLS12-381 keys signed with src/quorum/bls.ts, in one or two quorums; a bond increased,
// a URL changed, quorums joined and left; two joins in one block, which overwrite that block's quorum checkpoint;
// a task created in the same block as a join, whose reference block is the block before; square tasks answered with
// non-signers, one with a wrong square that is then challenged; a task left to expire and one left open; an operator
// unbonding and withdrawing its bond) indexed by a follower. The entities must equal the contracts' own state field by
// field (getOperator, quorumCheckpoint, getTask), the signers of each response must be the operators that signed it
// (the quorum at the reference block minus the non-signers), and the questions of README's "Querying operator
// quorums" must be answered by the GraphQL API. A backfill of the finished chain stores the same versions.

import { expect } from "chai";
import pino from "pino";
import { AbiCoder, keccak256, type Signer } from "ethers";
import { createIndexer, type EntityRecord, type Indexer, type SqlStore } from "../../src/indexer";
import { operatorStatusNames, taskStatusNames } from "../../src/model/enums";
import type { BlsSecretKey } from "../../src/quorum/bls";
import { createServer, type AccordServer } from "../../src/server/server";
import {
  deployAccord,
  ethers,
  headBlock,
  hre,
  increaseTime,
  makeTerms,
  newDealId,
  QUORUM_PARAMETERS,
  startRpcServer,
  type Accord,
  type RpcServer,
} from "./helpers/chain";
import { QuorumDriver } from "./helpers/quorum";
import { pglite } from "./helpers/stores";
import { graphqlData } from "./helpers/graphql";

const silent = pino({ level: "silent" });
const ZERO = "0x0000000000000000000000000000000000000000";
const abi = AbiCoder.defaultAbiCoder();
const lower = (x: unknown): string => String(x).toLowerCase();
const square = (n: bigint): string => abi.encode(["uint256"], [n]);

async function all(store: SqlStore, entity: string): Promise<EntityRecord[]> {
  const out: EntityRecord[] = [];
  for (let skip = 0; ; skip += 1000) {
    const page = await store.find({ entity, first: 1000, skip });
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

async function latestTimestamp(): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}

interface History {
  operators: string[];
  /** Operator addresses by role in the history. */
  op: Record<"a" | "b" | "c" | "d" | "e", string>;
  tasks: {
    /** Quorum 0, 7 → 49, signed by a, b, c (d did not sign). */
    answered: string;
    /** Quorum 0, 5 → 26 (wrong), signed by b, c, d; challenged. */
    challenged: string;
    /** Quorum 1, created in the block e joined quorum 1 again: e is not in its operator set. */
    sameBlock: string;
    /** Quorum 0, left to expire. */
    expired: string;
    /** Quorum 1, open with a day to go. */
    open: string;
    /** Quorum 0, QuorumMediator's verdict on a deal (accept), applied. */
    verdict: string;
  };
  verdict: { dealId: string; dealKey: string; fee: bigint; mediator: string };
  responses: Record<string, { members: string[]; nonSigners: string[]; signers: string[] }>;
  /** The block whose quorum-1 checkpoint two joins wrote. */
  overwriteBlock: number;
  receiver: string;
  aggregator: string;
  challenger: string;
}

async function runHistory(d: QuorumDriver): Promise<History> {
  const { operators, tasks } = d.accord;
  const [, a, b, c, dd, e, creator, aggregator, challenger, receiver] = d.accord.signers as Signer[] & {
    length: 10;
  };
  const addr = async (s: Signer) => lower(await s.getAddress());
  const keys: BlsSecretKey[] = [11n, 22n, 33n, 44n, 55n].map((k) => k * 1_000_003n);

  // a, b, d in quorum 0; c in quorums 0 and 1; e in quorum 1.
  await d.register(a, keys[0], 1_000n, 0b01, "https://a.example");
  await d.register(b, keys[1], 2_000n, 0b01, "https://b.example");
  await d.register(c, keys[2], 3_000n, 0b11, "https://c.example");
  await d.register(dd, keys[3], 4_000n, 0b01, "https://d.example");
  await d.register(e, keys[4], 5_000n, 0b10, "https://e.example");
  await (await d.accord.token.connect(b).approve(await operators.getAddress(), 500n)).wait();
  await (await operators.connect(b).increaseBond(500n)).wait();
  await (await operators.connect(a).setUrl("https://a2.example")).wait();

  // Two joins of quorum 1 in one block: its checkpoint of that block is written twice.
  await hre.network.provider.send("evm_setAutomine", [false]);
  const joinA = await operators.connect(a).joinQuorum(1);
  const joinB = await operators.connect(b).joinQuorum(1);
  await hre.network.provider.send("evm_mine", []);
  await hre.network.provider.send("evm_setAutomine", [true]);
  const [ra, rb] = [await joinA.wait(), await joinB.wait()];
  expect(ra!.blockNumber).to.equal(rb!.blockNumber);
  const overwriteBlock = ra!.blockNumber;

  const answered = await d.createTask(creator, "answered", 0, 50, 3_600n, square(7n));
  const answeredSigners = [await addr(a), await addr(b), await addr(c)];
  const answeredResponse = await d.respond(aggregator, answered, square(49n), answeredSigners);

  const challenged = await d.createTask(creator, "challenged", 0, 60, 3_600n, square(5n));
  const challengedSigners = [await addr(b), await addr(c), await addr(dd)];
  const challengedResponse = await d.respond(aggregator, challenged, square(26n), challengedSigners);
  await (await tasks.connect(challenger).challengeResponse(challenged, square(5n), square(26n))).wait();

  // e leaves quorum 1, then joins it again in the block a task for quorum 1 is created: the task's reference block
  // (the block before) has e out of the quorum.
  // e's only quorum is 1 (leaveQuorum would revert LastQuorum): it joins quorum 0 first.
  await (await operators.connect(e).joinQuorum(0)).wait();
  await (await operators.connect(e).leaveQuorum(1)).wait();
  await hre.network.provider.send("evm_setAutomine", [false]);
  const rejoin = await operators.connect(e).joinQuorum(1);
  const salt = ethers.id("same block");
  const sameBlock = await tasks.taskId(await creator.getAddress(), salt);
  const create = await tasks
    .connect(creator)
    .createTask(salt, 1, 50, 3_600n, await d.accord.squareVerifier.getAddress(), square(3n));
  await hre.network.provider.send("evm_mine", []);
  await hre.network.provider.send("evm_setAutomine", [true]);
  expect((await rejoin.wait())!.blockNumber).to.equal((await create.wait())!.blockNumber);
  const sameBlockSigners = [await addr(a), await addr(c)];
  const sameBlockResponse = await d.respond(aggregator, sameBlock, square(9n), sameBlockSigners);

  const expired = await d.createTask(creator, "expired", 0, 50, 60n, square(4n));
  await increaseTime(120);
  expect(await tasks.taskStatus(expired)).to.equal(BigInt(taskStatusNames.indexOf("Expired")));

  // a unbonds and withdraws its bond to the receiver.
  await (await operators.connect(a).startUnbonding()).wait();
  await increaseTime(Number(QUORUM_PARAMETERS.unbondingDelay) + 1);
  await (await operators.connect(a).withdrawBond(await receiver.getAddress())).wait();

  // A deal whose only mediator is QuorumMediator, under mediation: the quorum's verdict (accept) is applied and the
  // aggregator, credited the mediation fee, withdraws it.
  const { market, quorumMediator } = d.accord;
  const mediatorAddress = await quorumMediator.getAddress();
  const dealId = newDealId();
  const terms = makeTerms(await addr(creator), await addr(challenger), await addr(receiver), [mediatorAddress]);
  await (await market.connect(creator).agree(dealId, terms)).wait();
  await (await market.connect(challenger).agree(dealId, terms)).wait();
  await (await market.connect(challenger).addResult(dealId, terms, ethers.id("results"), 12n)).wait();
  await (await market.connect(creator).checkResult(dealId, terms, 12n)).wait();
  await (await quorumMediator.connect(receiver).requestVerdict(dealId, terms, 12n)).wait();
  const dealKey = lower(await market.dealKey(dealId, await addr(creator), await addr(challenger)));
  const [verdictTask] = await quorumMediator.verdictTask(dealKey);
  const accept = abi.encode(["uint8"], [await quorumMediator.VERDICT_ACCEPT()]);
  const verdictSigners = [await addr(b), await addr(c), await addr(dd), await addr(e)];
  const verdictResponse = await d.respond(aggregator, verdictTask, accept, verdictSigners);
  await (await quorumMediator.connect(receiver).applyVerdict(dealId, terms, 12n)).wait();
  const fee = await quorumMediator.credit(await addr(aggregator));
  expect(fee).to.equal(terms.pricing.mediationFee);
  await (await quorumMediator.connect(aggregator).withdraw(await addr(receiver))).wait();

  const open = await d.createTask(creator, "open", 1, 34, 86_400n, square(2n));

  return {
    operators: [...d.keys.keys()],
    op: { a: await addr(a), b: await addr(b), c: await addr(c), d: await addr(dd), e: await addr(e) },
    tasks: { answered, challenged, sameBlock, expired, open, verdict: lower(verdictTask) },
    verdict: { dealId: lower(dealId), dealKey, fee, mediator: lower(mediatorAddress) },
    responses: {
      [lower(verdictTask)]: { ...verdictResponse, signers: verdictSigners },
      [answered]: { ...answeredResponse, signers: answeredSigners },
      [challenged]: { ...challengedResponse, signers: challengedSigners },
      [sameBlock]: { ...sameBlockResponse, signers: sameBlockSigners },
    },
    overwriteBlock,
    receiver: await addr(receiver),
    aggregator: await addr(aggregator),
    challenger: await addr(challenger),
  };
}

describe("indexer: operator quorums", function () {
  this.timeout(300_000);

  let rpc: RpcServer;
  let accord: Accord;
  let driver: QuorumDriver;
  let history: History;
  let follower: Indexer;
  let store: SqlStore;
  let cleanup: () => Promise<void>;

  before(async () => {
    rpc = await startRpcServer();
    accord = await deployAccord();
    ({ store, cleanup } = await pglite.open());
    follower = await createIndexer({
      rpcUrl: rpc.url,
      deployment: accord.deployment,
      store,
      pollIntervalMs: 20,
      logger: silent,
    });
    await follower.start();
    driver = new QuorumDriver(accord);
    history = await runHistory(driver);
    await follower.waitForBlock(await headBlock());
  });

  after(async () => {
    await follower?.close();
    await cleanup?.();
    await rpc?.close();
  });

  it("indexes the three data sources from the deployment file", () => {
    for (const name of ["OperatorRegistry", "TaskManager", "QuorumMediator"]) {
      const source = follower.subgraph.dataSources.find((s) => s.name === name)!;
      expect(source, name).to.not.equal(undefined);
      expect(source.address).to.equal(accord.deployment.contracts[name].address);
      expect(source.startBlock).to.equal(accord.deployment.contracts[name].blockNumber);
    }
  });

  it("has every operator as getOperator has it, field by field", async () => {
    const records = await all(store, "Operator");
    expect(records.map((r) => r.id).sort()).to.deep.equal([...history.operators].sort());
    for (const record of records) {
      const id = record.id as string;
      const o = await accord.operators.getOperator(id);
      const bitmap = Number(o.quorums);
      expect(record, id).to.include({
        keyHash: lower(o.keyHash),
        publicKey: lower(await accord.operators.publicKeyOf(id)),
        bond: o.bond,
        quorumBitmap: bitmap,
        status: operatorStatusNames[Number(o.status)],
        url: o.url,
        unbondingEndsAt: o.unbondingEndsAt === 0n ? null : o.unbondingEndsAt,
        registrationCount: 1,
      });
      const quorums = [0, 1, 2, 3, 4, 5, 6, 7].filter((q) => (bitmap >> q) & 1).map(String);
      expect([...(record.quorums as string[])].sort(), `${id}.quorums`).to.deep.equal(quorums);
      const active = await Promise.all(
        (record.activeMemberships as string[]).map(async (m) => (await store.get("QuorumMembership", m))!.quorum),
      );
      expect(active.sort()).to.deep.equal(quorums);
    }
    const { a, b } = history.op;
    expect((await store.get("Operator", a))!).to.include({
      status: "Withdrawn",
      bond: 0n,
      quorumBitmap: 0,
      url: "https://a2.example",
      totalWithdrawn: 1_000n,
    });
    expect((await store.get("Operator", b))!).to.include({ bond: 2_500n, quorumBitmap: 0b11 });
    const withdrawals = await all(store, "BondWithdrawal");
    expect(withdrawals.map((w) => [w.operator, w.to, w.amount])).to.deep.equal([[a, history.receiver, 1_000n]]);
  });

  it("has every quorum checkpoint as the registry has it, with the operators in force from its block", async () => {
    for (const quorum of [0, 1]) {
      const count = Number(await accord.operators.quorumCheckpointCount(quorum));
      const record = (await store.get("Quorum", String(quorum)))!;
      const checkpoints = await store.find({
        entity: "QuorumCheckpoint",
        where: { quorum: String(quorum) },
        orderBy: "fromBlock",
        first: 1000,
      });
      expect(checkpoints, `quorum ${quorum}`).to.have.length(count);
      expect(record).to.include({ checkpointCount: count, apk: lower(await accord.operators.quorumApk(quorum)) });
      for (const [index, checkpoint] of checkpoints.entries()) {
        const c = await accord.operators.quorumCheckpoint(quorum, index);
        expect(checkpoint, String(checkpoint.id)).to.include({
          id: `${quorum}-${c.fromBlock}`,
          index,
          fromBlock: c.fromBlock,
          operatorCount: Number(c.operatorCount),
          totalStake: c.totalStake,
          apkHash: lower(c.apkHash),
          previous: index === 0 ? null : checkpoints[index - 1].id,
        });
        expect(keccak256(checkpoint.apk as string)).to.equal(lower(c.apkHash));
        const members = (await driver.membersAt(quorum, Number(c.fromBlock))).map((m) => m.address).sort();
        expect([...(checkpoint.operators as string[])].sort(), `operators of ${String(checkpoint.id)}`).to.deep.equal(
          members,
        );
        expect(checkpoint.operators).to.have.length(Number(c.operatorCount));
      }
      const last = checkpoints[checkpoints.length - 1];
      expect(record).to.include({
        latestCheckpoint: last.id,
        operatorCount: last.operatorCount,
        totalStake: last.totalStake,
        apkHash: last.apkHash,
      });
      expect([...(record.members as string[])].sort()).to.deep.equal([...(last.operators as string[])].sort());
    }
    // The block of two joins has one checkpoint of quorum 1, written twice, with both joiners.
    const overwritten = (await store.get("QuorumCheckpoint", `1-${history.overwriteBlock}`))!;
    expect(overwritten).to.include({ writeCount: 2, operatorCount: 4 });
    expect(overwritten.operators).to.include.members([history.op.a, history.op.b]);
  });

  it("has every membership stint, ended by leaving or unbonding", async () => {
    const memberships = await all(store, "QuorumMembership");
    const { a, e } = history.op;
    const ofE = memberships
      .filter((m) => m.operator === e)
      .sort((x, y) => Number(x.joinedAtBlock) - Number(y.joinedAtBlock));
    expect(ofE.map((m) => [m.quorum, m.active])).to.deep.equal([
      ["1", false],
      ["0", true],
      ["1", true],
    ]);
    const ofA = memberships.filter((m) => m.operator === a);
    expect(ofA.map((m) => m.active)).to.deep.equal([false, false]);
    expect(new Set(ofA.map((m) => m.leftTx)).size, "both left by startUnbonding").to.equal(1);
    for (const m of memberships) expect(m.active, String(m.id)).to.equal(m.leftAtBlock === null);
  });

  it("has every task as getTask has it, and each response with its signers and non-signers", async () => {
    const records = await all(store, "Task");
    expect(records.map((r) => r.id).sort()).to.deep.equal(Object.values(history.tasks).sort());
    for (const record of records) {
      const id = record.id as string;
      const t = await accord.tasks.getTask(id);
      expect(record, id).to.include({
        creator: lower(t.creator),
        quorum: String(t.quorum),
        thresholdPercent: Number(t.thresholdPercent),
        referenceBlock: t.referenceBlock,
        responseDeadline: t.responseDeadline,
        verifier: lower(t.verifier),
        challengeable: lower(t.verifier) !== ZERO,
        seed: lower(t.seed),
        payloadHash: lower(t.payloadHash),
        status: taskStatusNames[Number(t.status)],
        respondedAt: t.respondedAt === 0n ? null : t.respondedAt,
        createdAt: t.createdAt,
      });
      // The checkpoint in force at the reference block, as the registry finds it.
      const index = await accord.operators.quorumCheckpointIndexAt(t.quorum, t.referenceBlock);
      const c = await accord.operators.quorumCheckpoint(t.quorum, index);
      expect(record.quorumCheckpoint, `${id}.quorumCheckpoint`).to.equal(`${t.quorum}-${c.fromBlock}`);
      const expected = history.responses[id];
      if (expected === undefined) {
        expect(await store.get("TaskResponse", id), `${id} has no response`).to.equal(null);
        continue;
      }
      const response = (await store.get("TaskResponse", id))!;
      expect(response.task).to.equal(id);
      expect(response).to.include({
        aggregator: history.aggregator,
        responseHash: lower(t.responseHash),
        signedStake: t.signedStake,
        totalStake: t.totalStake,
      });
      expect(response.totalStake).to.equal(c.totalStake);
      expect(response.nonSigners, `${id} non-signers, in key-hash order`).to.deep.equal(expected.nonSigners);
      expect([...(response.signers as string[])].sort(), `${id} signers`).to.deep.equal([...expected.signers].sort());
      expect(response).to.include({ signerCount: expected.signers.length, nonSignerCount: expected.nonSigners.length });
      // signers + non-signers = the operator set at the reference block.
      expect([...(response.signers as string[]), ...(response.nonSigners as string[])].sort()).to.deep.equal(
        [...expected.members].sort(),
      );
    }
    const { challenged, sameBlock, expired } = history.tasks;
    expect((await store.get("Task", challenged))!).to.include({ status: "Challenged" });
    expect((await store.get("Challenge", challenged))!).to.include({
      task: challenged,
      challenger: history.challenger,
    });
    expect((await store.get("TaskResponse", sameBlock))!.signers).to.not.include(history.op.e);
    const expiredTask = (await store.get("Task", expired))!;
    expect(expiredTask.status, "storage keeps an expired task Open").to.equal("Open");
    expect(expiredTask.responseDeadline).to.be.lessThan(await latestTimestamp());
  });

  it("has QuorumMediator's verdict on the deal, applied, and the aggregator's fee credit withdrawn", async () => {
    const id = history.tasks.verdict;
    expect((await store.get("QuorumVerdict", id))!).to.include({
      mediator: history.verdict.mediator,
      task: id,
      dealId: history.verdict.dealId,
      dealKey: history.verdict.dealKey,
      deal: history.verdict.dealKey,
      attempt: 0,
      applied: true,
      accepted: true,
      fee: history.verdict.fee,
      aggregator: history.aggregator,
      credit: history.aggregator,
    });
    expect((await store.get("Task", id))!).to.include({
      creator: history.verdict.mediator,
      verdict: id,
      challengeable: false,
      status: "Responded",
    });
    expect((await store.get("Deal", history.verdict.dealKey))!.state).to.equal("MediationAccepted");
    expect((await store.get("QuorumFeeCredit", history.aggregator))!).to.include({
      amount: await accord.quorumMediator.credit(history.aggregator),
      totalCredited: history.verdict.fee,
      totalWithdrawn: history.verdict.fee,
      creditCount: 1,
      withdrawalCount: 1,
      lastWithdrawnTo: history.receiver,
    });
  });

  it("references only entities that exist", async () => {
    for (const entity of store.model.entities) {
      for (const field of entity.fields.filter((f) => f.kind === "entity" && !f.derivedFrom)) {
        for (const record of await all(store, entity.name)) {
          const value = record[field.name];
          const ids = value === null ? [] : field.list ? (value as string[]) : [value as string];
          for (const id of ids) {
            expect(await store.get(field.type, id), `${entity.name} ${String(record.id)}.${field.name}`).to.not.equal(
              null,
            );
          }
        }
      }
    }
  });

  describe("over GraphQL", () => {
    let server: AccordServer;
    const gql = (query: string, variables: Record<string, unknown> = {}) => graphqlData(server.url, query, variables);

    before(async () => {
      server = await createServer({ store, port: 0, logger: silent });
    });
    after(async () => server?.close());

    it("answers “a quorum's operators with their stake”", async () => {
      const { quorum } = (await gql(
        `query($id: ID!) { quorum(id: $id) { operatorCount totalStake members(orderBy: id) { id bond url status } } }`,
        { id: "1" },
      )) as { quorum: { operatorCount: number; totalStake: string; members: { id: string; bond: string }[] } };
      const members = [history.op.b, history.op.c, history.op.e].sort();
      expect(quorum.members.map((m) => m.id)).to.deep.equal(members);
      expect(quorum.operatorCount).to.equal(3);
      const stake = quorum.members.reduce((sum, m) => sum + BigInt(m.bond), 0n);
      expect(String(stake)).to.equal(quorum.totalStake);
      const last = await accord.operators.quorumCheckpoint(1, (await accord.operators.quorumCheckpointCount(1)) - 1n);
      expect(quorum.totalStake).to.equal(String(last.totalStake));
    });

    it("answers “tasks open now” and “tasks that expired unanswered”", async () => {
      const now = String(await latestTimestamp());
      const { open } = (await gql(
        `query($now: BigInt!) { open: tasks(where: { status: Open, responseDeadline_gte: $now }) { id } }`,
        { now },
      )) as { open: { id: string }[] };
      expect(open.map((t) => t.id)).to.deep.equal([history.tasks.open]);
      const { expired } = (await gql(
        `query($now: BigInt!) { expired: tasks(where: { status: Open, responseDeadline_lt: $now }) { id } }`,
        { now },
      )) as { expired: { id: string }[] };
      expect(expired.map((t) => t.id)).to.deep.equal([history.tasks.expired]);
    });

    it("answers “a task's response with its signers and non-signers”", async () => {
      const id = history.tasks.answered;
      const { task } = (await gql(
        `query($id: ID!) { task(id: $id) { status quorum { id } quorumCheckpoint { fromBlock totalStake }
          response { aggregator signedStake totalStake signers(orderBy: id) { id } nonSigners { id bond } } } }`,
        { id },
      )) as {
        task: {
          status: string;
          response: {
            signers: { id: string }[];
            nonSigners: { id: string }[];
            signedStake: string;
            totalStake: string;
          };
        };
      };
      expect(task.status).to.equal("Responded");
      expect(task.response.signers.map((s) => s.id)).to.deep.equal([...history.responses[id].signers].sort());
      expect(task.response.nonSigners.map((s) => s.id)).to.deep.equal(history.responses[id].nonSigners);
      const t = await accord.tasks.getTask(id);
      expect(task.response).to.include({ signedStake: String(t.signedStake), totalStake: String(t.totalStake) });
      // And from the operator's side: the responses it signed and did not.
      const { operator } = (await gql(
        `query($id: ID!) { operator(id: $id) { responsesSigned { id } responsesNotSigned { id } } }`,
        { id: history.op.d },
      )) as { operator: { responsesSigned: { id: string }[]; responsesNotSigned: { id: string }[] } };
      expect(operator.responsesSigned.map((r) => r.id).sort()).to.deep.equal(
        [history.tasks.challenged, history.tasks.verdict].sort(),
      );
      expect(operator.responsesNotSigned.map((r) => r.id)).to.deep.equal([id]);
    });

    it("answers “a quorum's stake history”", async () => {
      const { quorumCheckpoints } = (await gql(
        `query($q: String!) { quorumCheckpoints(where: { quorum: $q }, orderBy: fromBlock) { index fromBlock operatorCount totalStake writeCount } }`,
        { q: "1" },
      )) as { quorumCheckpoints: { index: number; fromBlock: string; totalStake: string; writeCount: number }[] };
      const count = Number(await accord.operators.quorumCheckpointCount(1));
      expect(quorumCheckpoints).to.have.length(count);
      for (const [i, c] of quorumCheckpoints.entries()) {
        const onChain = await accord.operators.quorumCheckpoint(1, i);
        expect(c).to.include({
          index: i,
          fromBlock: String(onChain.fromBlock),
          totalStake: String(onChain.totalStake),
        });
      }
      expect(quorumCheckpoints.find((c) => c.fromBlock === String(history.overwriteBlock))!.writeCount).to.equal(2);
    });
  });

  it("a backfill of the finished chain stores exactly the follower's versions", async () => {
    const { store: fresh, cleanup: done } = await pglite.open();
    try {
      const indexer = await createIndexer({
        rpcUrl: rpc.url,
        deployment: accord.deployment,
        store: fresh,
        follow: false,
        toBlock: (await store.checkpoint())!.blockNumber,
        logger: silent,
        logRange: { initialRange: 3, maxRange: 20 },
      });
      await indexer.start();
      await indexer.done();
      expect(await fresh.digest()).to.equal(await store.digest());
      expect(await fresh.counts()).to.deep.equal(await store.counts());
      await indexer.close();
    } finally {
      await done();
    }
  });
});
