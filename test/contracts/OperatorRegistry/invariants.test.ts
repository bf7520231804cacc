/**
 * Stateful property test of OperatorRegistry: random sequences of register (random bitmaps and bonds around the
 * minimum), increaseBond, joinQuorum / leaveQuorum (quorum numbers up to 8, one past the last), startUnbonding,
 * withdrawBond and time jumps, each by a random caller among a few accounts (so many are wrong callers: not
 * registered, not Active, still unbonding). After every step the chain is checked against a model kept here:
 *
 *  - the step succeeds or reverts with the custom error the model predicts;
 *  - the registry's token balance equals the sum of the bonds of operators not yet withdrawn;
 *  - each quorum's `quorumApk`, last checkpoint's apkHash, totalStake and operatorCount equal the model's, the
 *    aggregate computed with src/quorum/bls.ts from the members' keys.
 *
 * Runs are isolated with evm_snapshot / evm_revert. FC_SEED / FC_RUNS override the fixed seed and run count.
 */
import { expect } from "chai";
import { network } from "hardhat";
import fc from "fast-check";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256 } from "ethers";

import { aggregateG2, encodeG2 } from "../../../src/quorum/bls";
import {
  MIN_BOND,
  UNBONDING_DELAY,
  emptyQuorumFixture,
  loadQuorumFixture,
  makeOperators,
  operatorOf,
  proofOfPossession,
  type QuorumOperator,
} from "../../helpers/quorum";

type Action =
  | { kind: "register"; who: number; quorums: number; bond: bigint }
  | { kind: "increaseBond"; who: number; amount: bigint }
  | { kind: "join" | "leave"; who: number; quorum: number }
  | { kind: "unbond" | "withdraw"; who: number }
  | { kind: "wait"; seconds: bigint };

interface ModelOperator {
  status: "None" | "Active" | "Unbonding" | "Withdrawn";
  bond: bigint;
  quorums: number;
  key?: QuorumOperator;
  endsAt: bigint;
}

const ACCOUNTS = 4;
const who = fc.integer({ min: 0, max: ACCOUNTS - 1 });
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant("register" as const),
    who,
    quorums: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 })),
    bond: fc.constantFrom(MIN_BOND - 1n, MIN_BOND, 3n * MIN_BOND),
  }),
  fc.record({ kind: fc.constant("increaseBond" as const), who, amount: fc.constantFrom(0n, 1n, MIN_BOND) }),
  fc.record({ kind: fc.constantFrom("join" as const, "leave" as const), who, quorum: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ kind: fc.constantFrom("unbond" as const, "withdraw" as const), who }),
  fc.record({
    kind: fc.constant("wait" as const),
    seconds: fc.constantFrom(5n, UNBONDING_DELAY / 2n, UNBONDING_DELAY + 5n),
  }),
);

describe("OperatorRegistry invariants (fast-check)", function () {
  this.timeout(600_000);

  it("keeps funds and quorum aggregates equal to the model", async () => {
    const ctx = await loadQuorumFixture(emptyQuorumFixture);
    const accounts = await makeOperators(ctx, ACCOUNTS);
    const base = (await network.provider.send("evm_snapshot", [])) as string;
    let snapshot = base;
    const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 1147;
    const numRuns = process.env.FC_RUNS ? Number(process.env.FC_RUNS) : 12;

    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 4, maxLength: 16 }), async (actions) => {
        await network.provider.send("evm_revert", [snapshot]);
        snapshot = (await network.provider.send("evm_snapshot", [])) as string;
        const model: ModelOperator[] = accounts.map(() => ({ status: "None", bond: 0n, quorums: 0, endsAt: 0n }));
        let now = BigInt(await time.latest());

        for (const step of actions) {
          if (step.kind === "wait") {
            now += step.seconds;
            await time.increaseTo(now);
            await checkInvariants();
            continue;
          }
          now += 1n;
          await time.setNextBlockTimestamp(now);
          const account = accounts[step.who];
          const op = model[step.who];
          const registry = ctx.registry.connect(account.signer);
          let expected: string | undefined;
          let send: () => Promise<unknown>;
          let apply: () => void = () => {};
          switch (step.kind) {
            case "register": {
              const key = await operatorOf(account.signer);
              if (op.status === "Active" || op.status === "Unbonding") expected = "OperatorRegistry_AlreadyRegistered";
              else if (step.bond < MIN_BOND) expected = "OperatorRegistry_BondTooLow";
              else if (step.quorums === 0) expected = "OperatorRegistry_NoQuorums";
              const proof = proofOfPossession(ctx.chainId, ctx.registryAddress, key.address, key.secretKey);
              send = () => registry.register(key.publicKeyHex, proof, "https://op", step.bond, step.quorums);
              apply = () =>
                Object.assign(op, { status: "Active", bond: step.bond, quorums: step.quorums, key, endsAt: 0n });
              break;
            }
            case "increaseBond":
              if (op.status !== "Active") expected = "OperatorRegistry_NotActive";
              else if (step.amount === 0n) expected = "OperatorRegistry_ZeroAmount";
              send = () => registry.increaseBond(step.amount);
              apply = () => (op.bond += step.amount);
              break;
            case "join":
              if (op.status !== "Active") expected = "OperatorRegistry_NotActive";
              else if (step.quorum >= 8) expected = "OperatorRegistry_InvalidQuorum";
              else if ((op.quorums >> step.quorum) & 1) expected = "OperatorRegistry_AlreadyInQuorum";
              send = () => registry.joinQuorum(step.quorum);
              apply = () => (op.quorums |= 1 << step.quorum);
              break;
            case "leave":
              if (op.status !== "Active") expected = "OperatorRegistry_NotActive";
              else if (step.quorum >= 8 || !((op.quorums >> step.quorum) & 1))
                expected = "OperatorRegistry_NotInQuorum";
              else if (op.quorums === 1 << step.quorum) expected = "OperatorRegistry_LastQuorum";
              send = () => registry.leaveQuorum(step.quorum);
              apply = () => (op.quorums &= ~(1 << step.quorum));
              break;
            case "unbond":
              if (op.status !== "Active") expected = "OperatorRegistry_NotActive";
              send = () => registry.startUnbonding();
              apply = () => Object.assign(op, { status: "Unbonding", quorums: 0, endsAt: now + UNBONDING_DELAY });
              break;
            case "withdraw":
              if (op.status !== "Unbonding") expected = "OperatorRegistry_NotUnbonding";
              else if (now < op.endsAt) expected = "OperatorRegistry_StillUnbonding";
              send = () => registry.withdrawBond(account.address);
              apply = () => Object.assign(op, { status: "Withdrawn", bond: 0n, endsAt: 0n });
              break;
          }
          if (expected) {
            await expect(send()).to.be.revertedWithCustomError(ctx.registry, expected);
            // Nothing was mined: mine the block the step would have been in, so time moves as the model says.
            await network.provider.send("evm_mine", []);
          } else {
            await (await (send() as Promise<{ wait(): Promise<unknown> }>)).wait();
            apply();
          }
          await checkInvariants();
        }

        async function checkInvariants(): Promise<void> {
          const bonded = model.reduce(
            (sum, o) => sum + (o.status === "Active" || o.status === "Unbonding" ? o.bond : 0n),
            0n,
          );
          expect(await ctx.token.balanceOf(ctx.registryAddress)).to.equal(bonded);
          for (let q = 0; q < 8; q++) {
            const members = model.filter((o) => o.status === "Active" && (o.quorums >> q) & 1);
            const apk = encodeG2(aggregateG2(members.map((o) => o.key!.publicKey)));
            expect(await ctx.registry.quorumApk(q)).to.equal(apk);
            const count = await ctx.registry.quorumCheckpointCount(q);
            if (count === 0n) {
              expect(members.length).to.equal(0);
              continue;
            }
            const last = await ctx.registry.quorumCheckpoint(q, count - 1n);
            expect(last.apkHash).to.equal(keccak256(apk));
            expect(last.totalStake).to.equal(members.reduce((sum, o) => sum + o.bond, 0n));
            expect(last.operatorCount).to.equal(BigInt(members.length));
          }
          for (let i = 0; i < accounts.length; i++) {
            const onChain = await ctx.registry.getOperator(accounts[i].address);
            expect(onChain.bond).to.equal(model[i].bond);
            expect(onChain.quorums).to.equal(BigInt(model[i].quorums));
          }
        }
      }),
      { numRuns, seed, endOnFailure: !process.env.FC_SHRINK },
    );
    await network.provider.send("evm_revert", [base]);
  });
});
