// Drives the operator-quorum contracts as operators, creators and aggregators do: registration with a BLS12-381 key
// (src/quorum/bls.ts), tasks, and responses signed by a chosen subset of the quorum at the task's reference block.

import { expect } from "chai";
import { getBytes, keccak256, type Signer } from "ethers";
import {
  aggregateG1,
  aggregateG2,
  blsPublicKey,
  blsSign,
  BLS_POP_DST,
  encodeG1,
  encodeG2,
  type BlsSecretKey,
} from "../../../src/quorum/bls";
import { ethers, type Accord } from "./chain";

const lower = (x: unknown): string => String(x).toLowerCase();

export interface OperatorKey {
  signer: Signer;
  address: string;
  secretKey: BlsSecretKey;
  publicKey: string;
}

/** Drives the quorum contracts as operators, creators, aggregators and challengers do. */
export class QuorumDriver {
  readonly keys = new Map<string, OperatorKey>();
  constructor(readonly accord: Accord) {}

  async register(signer: Signer, secretKey: BlsSecretKey, bond: bigint, quorums: number, url: string) {
    const { operators, token } = this.accord;
    const address = lower(await signer.getAddress());
    const publicKey = encodeG2(blsPublicKey(secretKey));
    const digest = await operators.registrationDigest(address, publicKey);
    const proof = encodeG1(blsSign(secretKey, getBytes(digest), BLS_POP_DST));
    await (await token.connect(signer).approve(await operators.getAddress(), bond)).wait();
    await (await operators.connect(signer).register(publicKey, proof, url, bond, quorums)).wait();
    this.keys.set(address, { signer, address, secretKey, publicKey });
  }

  /** The operators with a stake in `quorum` at `block`, read from the registry's stake checkpoints. */
  async membersAt(quorum: number, block: number): Promise<OperatorKey[]> {
    const members: OperatorKey[] = [];
    for (const key of this.keys.values()) {
      if ((await this.accord.operators.stakeCheckpointCount(key.address, quorum)) === 0n) continue;
      const first = await this.accord.operators.stakeCheckpoint(key.address, quorum, 0);
      if (Number(first.fromBlock) > block) continue;
      const index = await this.accord.operators.stakeIndexAt(key.address, quorum, block);
      if ((await this.accord.operators.stakeAt(key.address, quorum, block, index)) > 0n) members.push(key);
    }
    return members;
  }

  async createTask(creator: Signer, salt: string, quorum: number, threshold: number, window: bigint, payload: string) {
    const { tasks } = this.accord;
    const id = await tasks.taskId(await creator.getAddress(), ethers.id(salt));
    const verifier = await this.accord.squareVerifier.getAddress();
    await (
      await tasks.connect(creator).createTask(ethers.id(salt), quorum, threshold, window, verifier, payload)
    ).wait();
    return id;
  }

  /** Responds to `taskId` with `response` signed by `signers`; the quorum's other operators are its non-signers. */
  async respond(aggregator: Signer, taskId: string, response: string, signers: string[]) {
    const { operators, tasks } = this.accord;
    const task = await tasks.getTask(taskId);
    const quorum = Number(task.quorum);
    const reference = Number(task.referenceBlock);
    const members = await this.membersAt(quorum, reference);
    const signing = members.filter((m) => signers.includes(m.address));
    expect(signing.map((m) => m.address).sort(), "the signers are members").to.deep.equal([...signers].sort());
    const nonSigners = members
      .filter((m) => !signers.includes(m.address))
      .sort((a, b) => (BigInt(keccak256(a.publicKey)) < BigInt(keccak256(b.publicKey)) ? -1 : 1));
    const digest = getBytes(await tasks.responseDigest(taskId, keccak256(response)));
    const signature = {
      nonSignerKeys: nonSigners.map((m) => m.publicKey),
      nonSignerStakeIndices: await Promise.all(
        nonSigners.map((m) => operators.stakeIndexAt(m.address, quorum, reference)),
      ),
      quorumApk: encodeG2(aggregateG2(members.map((m) => blsPublicKey(m.secretKey)))),
      quorumCheckpointIndex: await operators.quorumCheckpointIndexAt(quorum, reference),
      signature: encodeG1(aggregateG1(signing.map((m) => blsSign(m.secretKey, digest)))),
    };
    await (await tasks.connect(aggregator).respondToTask(taskId, response, signature)).wait();
    return { members: members.map((m) => m.address), nonSigners: nonSigners.map((m) => m.address) };
  }
}
