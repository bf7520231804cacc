// Task types: the square type (abi.encode(uint256 n) → abi.encode(uint256 n²), refused when n² overflows or the
// payload is not one word) and deal mediation (the mediator agent's judgeDeal on the deal's job: accept when the
// re-run matches the submitted results, reject when not, no answer for an unknown deal or a mismatched count); and
// the `accord operator` settings naming the flag at fault.

import { expect } from "chai";
import { AbiCoder, keccak256, Wallet, ZeroAddress } from "ethers";
import { resolveOperator } from "../../src/bin/commands/operator";
import type { ExecutionResult, Executor } from "../../src/executor";
import { cidToBytes32 } from "../../src/model/cid";
import { dealKey } from "../../src/model/deal-key";
import type { Deal } from "../../src/model/types";
import {
  dealMediationTaskType,
  encodeDealMediationPayload,
  squarePayload,
  squareResponse,
  squareTaskType,
  taskTypeFor,
  TaskPayloadError,
  VERDICT_ACCEPT,
  VERDICT_REJECT,
  type QuorumTask,
} from "../../src/quorum";

const coder = AbiCoder.defaultAbiCoder();
const RESULTS = "QmZMyHPdV6unx165jL7KsPMYAoJ97zfTj18z8mQ4fGEYvK";
const DEAL = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG";

function taskOf(overrides: Partial<QuorumTask>): QuorumTask {
  return {
    taskId: keccak256("0x01"),
    creator: Wallet.createRandom().address,
    quorum: 0,
    thresholdPercent: 67,
    referenceBlock: 1,
    createdAt: 0,
    responseDeadline: 100,
    verifier: ZeroAddress,
    seed: keccak256("0x02"),
    payload: "0x",
    blockNumber: 2,
    ...overrides,
  };
}

describe("quorum: task types", () => {
  const verifier = Wallet.createRandom().address;
  const square = squareTaskType({ verifier });

  it("squares n for tasks of the SquareTaskVerifier", async () => {
    const task = taskOf({ verifier, payload: squarePayload(12n) });
    expect(square.matches(task)).to.equal(true);
    expect(square.matches(taskOf({ payload: squarePayload(12n) }))).to.equal(false);
    const response = await square.respond(task, task.payload);
    expect(coder.decode(["uint256"], response)[0]).to.equal(144n);
    expect(response).to.equal(squareResponse(12n));
    expect(squareTaskType().matches(taskOf({ payload: squarePayload(3n) }))).to.equal(true);
  });

  it("refuses a square that overflows and a payload that is not one word", async () => {
    const big = 1n << 128n;
    await expect(square.respond(taskOf({ verifier }), squarePayload(big))).to.be.rejectedWith(TaskPayloadError);
    await expect(square.respond(taskOf({ verifier }), "0x1234")).to.be.rejectedWith(TaskPayloadError, /payload/);
    expect(coder.decode(["uint256"], squareResponse(big - 1n))[0]).to.equal((big - 1n) ** 2n);
  });

  describe("deal mediation", () => {
    const mediator = Wallet.createRandom().address;
    const jobCreator = Wallet.createRandom().address;
    const resourceProvider = Wallet.createRandom().address;
    const dealId = cidToBytes32(DEAL);
    const key = dealKey(dealId, jobCreator, resourceProvider);
    let runs = 0;
    let rerun: ExecutionResult;
    const executor = {
      run: () => {
        runs++;
        return Promise.resolve(rerun);
      },
    } as unknown as Executor;
    const deal = { id: DEAL, job_offer: { module: { name: "cowsay" } } } as unknown as Deal;
    const type = dealMediationTaskType({
      quorumMediator: mediator,
      executor,
      loadDeal: (cid) => Promise.resolve(cid === DEAL ? deal : undefined),
      findResult: (k) =>
        Promise.resolve(k === key ? { resultsId: cidToBytes32(RESULTS), instructionCount: 1000n } : undefined),
    });
    const payload = (instructionCount = 1000n, id = dealId) =>
      encodeDealMediationPayload({
        dealId: id,
        jobCreator,
        resourceProvider,
        instructionCount,
        termsHash: keccak256("0x03"),
      });

    it("takes QuorumMediator's tasks only, before the square type", () => {
      const task = taskOf({ creator: mediator, payload: payload() });
      expect(type.matches(task)).to.equal(true);
      expect(type.matches(taskOf({ payload: payload() }))).to.equal(false);
      expect(taskTypeFor([type, squareTaskType()], task)?.id).to.equal("deal-mediation");
    });

    it("accepts when the re-run matches the submitted results, rejects when not", async () => {
      const task = taskOf({ creator: mediator });
      rerun = { resultsId: RESULTS, instructionCount: 1000 } as unknown as ExecutionResult;
      expect(coder.decode(["uint8"], await type.respond(task, payload()))[0]).to.equal(BigInt(VERDICT_ACCEPT));
      rerun = { resultsId: RESULTS, instructionCount: 999 } as unknown as ExecutionResult;
      expect(coder.decode(["uint8"], await type.respond(task, payload()))[0]).to.equal(BigInt(VERDICT_REJECT));
      expect(runs).to.equal(2);
    });

    it("answers nothing for an unknown deal, a count that is not the submitted one, or a bad payload", async () => {
      const task = taskOf({ creator: mediator });
      const other = cidToBytes32("QmZTR5bcpQD7cFgTorqxZDYaew1Wqgfbd2ud9QqGPAkK2V");
      await expect(type.respond(task, payload(1000n, other))).to.be.rejectedWith(TaskPayloadError, /dealId/);
      await expect(type.respond(task, payload(5n))).to.be.rejectedWith(TaskPayloadError, /instructionCount/);
      await expect(type.respond(task, "0x1234")).to.be.rejectedWith(TaskPayloadError, /payload/);
      expect(runs).to.equal(2);
    });
  });
});

describe("quorum: accord operator settings", () => {
  const env = { ACCORD_OPERATOR_KEY: "0x" + "11".repeat(32), ACCORD_OPERATOR_PASSWORD: "pw" };
  const flags = { rpc: "http://127.0.0.1:8545", deployment: "d.json", keystore: "k.json" };

  it("resolves flags and environment", () => {
    const settings = resolveOperator({ ...flags, quorums: "0,2,2", port: "9000", bond: "5" }, env, false);
    expect(settings.quorums).to.deep.equal([0, 2]);
    expect(settings.port).to.equal(9000);
    expect(settings.bond).to.equal(5n);
    expect(settings.password).to.equal("pw");
    expect(settings.aggregate).to.equal(true);
    expect(settings.faults).to.deep.equal({ submitDelayMs: undefined, corruptAggregate: undefined });
  });

  it("names the flag or variable at fault", () => {
    expect(() => resolveOperator({ ...flags, rpc: undefined }, env, false)).to.throw(/--rpc/);
    expect(() => resolveOperator({ ...flags, keystore: undefined }, env, false)).to.throw(/--keystore/);
    expect(() => resolveOperator(flags, { ...env, ACCORD_OPERATOR_KEY: "0x12" }, false)).to.throw(
      /ACCORD_OPERATOR_KEY/,
    );
    expect(() => resolveOperator({ ...flags, passwordEnv: "MY_PW" }, env, false)).to.throw(/MY_PW/);
    expect(() => resolveOperator({ ...flags, quorums: "9" }, env, false)).to.throw(/--quorums/);
    expect(() => resolveOperator({ ...flags, bond: "1e18" }, env, false)).to.throw(/--bond/);
  });
});
