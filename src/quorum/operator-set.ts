// The operators of each quorum, with their keys, stakes and URLs, at any block: rebuilt from the registry's events
// (OperatorRegistered, BondIncreased, OperatorUrlUpdated, QuorumJoined, QuorumLeft, UnbondingStarted, BondWithdrawn)
// rather than from per-operator view calls, so one getLogs scan serves every task's reference block. The history of
// each operator is kept as a list of states by block; the state at block B is the one after every event of block B
// (the registry's checkpoints work the same way: several changes in one block overwrite that block's checkpoint).
// The operator node keeps one OperatorSet advanced incrementally; the client rebuilds one for a one-off call.

import { getAddress } from "ethers";
import type { OperatorRegistryClient } from "../clients/quorum";
import type { AccordLog } from "../clients/events";

/** An operator of a quorum at a block. */
export type QuorumMember = {
  operator: string;
  /** Its G2 key, EIP-2537 hex. */
  publicKey: string;
  keyHash: string;
  /** Its stake in the quorum (its bond) at the block. */
  stake: bigint;
  /** Its latest URL (where to reach it now, whatever the block asked about). */
  url: string;
};

type OperatorState = {
  block: number;
  bond: bigint;
  quorums: number;
  active: boolean;
};

type OperatorEntry = {
  operator: string;
  publicKey: string;
  keyHash: string;
  url: string;
  /** States by block, ascending; one per block at most. */
  states: OperatorState[];
};

/** Every operator's history, fed the registry's events in chain order. */
export class OperatorHistory {
  readonly operators = new Map<string, OperatorEntry>();
  /** The last block whose events were applied (-1: none). */
  lastBlock = -1;

  /** Applies registry events (in chain order, none before `lastBlock`). */
  apply(events: readonly AccordLog[]): void {
    for (const event of events) this.#applyOne(event);
  }

  #applyOne(event: AccordLog): void {
    const block = event.blockNumber;
    if (block > this.lastBlock) this.lastBlock = block;
    switch (event.eventName) {
      case "OperatorRegistered": {
        const { operator, keyHash, bond, quorums, url, publicKey } = event.args;
        const address = getAddress(operator);
        const entry: OperatorEntry = this.operators.get(address) ?? {
          operator: address,
          publicKey,
          keyHash,
          url,
          states: [],
        };
        // A withdrawn operator may register again with a new key: from this block on, the new one counts.
        entry.publicKey = publicKey;
        entry.keyHash = keyHash;
        entry.url = url;
        this.operators.set(address, entry);
        this.#change(entry, block, () => ({ bond, quorums: Number(quorums), active: true }));
        return;
      }
      case "BondIncreased":
        return this.#update(event.args.operator, block, (state) => ({ ...state, bond: event.args.bond }));
      case "OperatorUrlUpdated": {
        const entry = this.operators.get(getAddress(event.args.operator));
        if (entry) entry.url = event.args.url;
        return;
      }
      case "QuorumJoined":
        return this.#update(event.args.operator, block, (state) => ({
          ...state,
          quorums: state.quorums | (1 << Number(event.args.quorum)),
        }));
      case "QuorumLeft":
        return this.#update(event.args.operator, block, (state) => ({
          ...state,
          quorums: state.quorums & ~(1 << Number(event.args.quorum)),
        }));
      case "UnbondingStarted":
        return this.#update(event.args.operator, block, (state) => ({ ...state, quorums: 0, active: false }));
      default:
        return;
    }
  }

  #update(operator: string, block: number, next: (state: OperatorState) => Omit<OperatorState, "block">): void {
    const entry = this.operators.get(getAddress(operator));
    if (!entry) return;
    this.#change(entry, block, next);
  }

  #change(entry: OperatorEntry, block: number, next: (state: OperatorState) => Omit<OperatorState, "block">): void {
    const last = entry.states[entry.states.length - 1];
    const base = last ?? { block, bond: 0n, quorums: 0, active: false };
    const state = { ...next(base), block };
    if (last && last.block === block) entry.states[entry.states.length - 1] = state;
    else entry.states.push(state);
  }

  /** An operator's state at `block` (after that block's events), if it was registered then. */
  stateAt(operator: string, block: number): (OperatorState & Omit<OperatorEntry, "states">) | undefined {
    const entry = this.operators.get(getAddress(operator));
    if (!entry) return undefined;
    const state = stateAt(entry.states, block);
    if (!state) return undefined;
    return { ...state, operator: entry.operator, publicKey: entry.publicKey, keyHash: entry.keyHash, url: entry.url };
  }
}

function stateAt(states: readonly OperatorState[], block: number): OperatorState | undefined {
  let lo = 0;
  let hi = states.length - 1;
  let found: OperatorState | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (states[mid].block <= block) {
      found = states[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The quorum's members at `block`, in the order they registered. */
export function membersAt(history: OperatorHistory, quorum: number, block: number): QuorumMember[] {
  const members: QuorumMember[] = [];
  for (const entry of history.operators.values()) {
    const state = stateAt(entry.states, block);
    if (!state || !state.active || ((state.quorums >> quorum) & 1) === 0) continue;
    members.push({
      operator: entry.operator,
      publicKey: entry.publicKey,
      keyHash: entry.keyHash,
      stake: state.bond,
      url: entry.url,
    });
  }
  return members;
}

/**
 * A cached OperatorHistory over a registry, advanced to the latest block on demand (`sync`), scanning only the blocks
 * not seen yet, in ranges of `logRange` blocks.
 */
export class OperatorSet {
  readonly history = new OperatorHistory();
  #scanned: number;
  #syncing: Promise<void> | undefined;

  constructor(
    private readonly client: OperatorRegistryClient,
    private readonly options: { fromBlock?: number; logRange?: number } = {},
  ) {
    this.#scanned = (options.fromBlock ?? client.fromBlock) - 1;
  }

  /** The last block scanned. */
  get scannedTo(): number {
    return this.#scanned;
  }

  /** Scans the registry's events up to `toBlock` (default latest); concurrent calls share one scan. */
  sync(toBlock?: number): Promise<void> {
    const run = async () => {
      const last = toBlock ?? (await this.client.provider.getBlockNumber());
      if (last <= this.#scanned) return;
      const events = await this.client.registryEvents(this.#scanned + 1, last, this.options.logRange ?? 5000);
      this.history.apply(events);
      this.#scanned = last;
    };
    const next = (this.#syncing ?? Promise.resolve()).then(run, run);
    this.#syncing = next.catch(() => undefined);
    return next;
  }

  /** The quorum's members at `block`, scanning up to it first when it was not scanned yet. */
  async membersAt(quorum: number, block: number): Promise<QuorumMember[]> {
    // Up to `block` itself: the latest block number a provider reports may be cached, hence behind it.
    if (block > this.#scanned) await this.sync(block);
    return membersAt(this.history, quorum, block);
  }

  /** An operator at `block` if it was then a member of `quorum`. */
  async memberAt(quorum: number, block: number, operator: string): Promise<QuorumMember | undefined> {
    const members = await this.membersAt(quorum, block);
    const address = operator.toLowerCase();
    return members.find((member) => member.operator.toLowerCase() === address);
  }

  /** An operator's latest URL ("" if unknown). */
  urlOf(operator: string): string {
    return this.history.operators.get(getAddress(operator))?.url ?? "";
  }
}
