// The payee's settler: it watches the channels it holds vouchers of, and as soon as a `SettleStarted` appears for
// one (the payer, or anyone who may, started settling) it redeems the best voucher of every lane the chain does not
// already show at that amount, then collects once `settlingAt` has passed. It keeps no state of its own beyond the
// voucher store's "finished" mark: on restart it reads each unfinished channel from the chain again, so a settler
// killed at any point redoes only what the chain shows undone.

import type { PaymentChannelsClient } from "../clients/channels";
import { paymentChannelsDecoder } from "../clients/events";
import { AccordContractError } from "../clients/errors";
import { ChannelStatus } from "../model/types";
import type { VoucherStore } from "./store";

export type ChannelSettlerOptions = {
  store: VoucherStore;
  /** How often to look for new blocks (ms; default 2000). */
  pollMs?: number;
  /** Most blocks one eth_getLogs call covers (default 5000). */
  logRange?: number;
  /** Where progress is reported. */
  log?: (message: string) => void;
  /**
   * Start settling a channel ourselves once the vouchers held on it owe at least this much (default: never; the
   * payer settles). The payer's manager then opens a new channel for its next payments.
   */
  settleWhenOwed?: bigint;
};

/** What one pass did. */
export type SettlerPass = { redeemed: number; collected: number; settled?: number };

export class ChannelSettler {
  readonly client: PaymentChannelsClient;
  #cursor: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;
  readonly #settling = new Map<string, bigint>();
  /** Channels read from the chain once already; later changes come from the logs. */
  readonly #known = new Set<string>();

  constructor(private readonly options: ChannelSettlerOptions) {
    this.client = options.store.client;
  }

  /** Polls until stop(); the first pass reads every unfinished channel from the chain. */
  start(): void {
    this.#stopped = false;
    const tick = () => {
      this.#running = this.pass()
        .catch((error: unknown) => this.options.log?.(`settler: ${(error as Error).message}`))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.options.pollMs ?? 2000);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  /**
   * One pass: new SettleStarted logs of our channels (all of them from the chain on the first pass), then for each
   * settling channel its vouchers redeemed and, past `settlingAt`, the channel collected.
   */
  async pass(): Promise<SettlerPass> {
    const open = this.options.store.openChannels();
    const ids = new Set(open.map((c) => c.channelId));
    const latest = await this.client.provider.getBlockNumber();
    if (this.#cursor !== undefined && latest > this.#cursor && ids.size > 0) {
      await this.#scan(this.#cursor + 1, latest, ids);
    }
    // A channel first seen (on the first pass, after a restart, or a new payer's) is read whole from the chain: it
    // may have started settling before the logs scanned.
    for (const { channelId } of open) {
      if (this.#known.has(channelId)) continue;
      const view = await this.client.getChannel(channelId);
      if (view.status === ChannelStatus.Closed) this.options.store.markFinished(channelId);
      else if (view.settlingAt !== 0n) this.#settling.set(channelId, view.settlingAt);
      this.#known.add(channelId);
    }
    this.#cursor = latest;
    const result: SettlerPass = { redeemed: 0, collected: 0 };
    const threshold = this.options.settleWhenOwed;
    if (threshold !== undefined) {
      for (const { channelId, total } of open) {
        if (total < threshold || this.#settling.has(channelId) || !this.#known.has(channelId)) continue;
        try {
          const sent = await this.client.settle(channelId);
          const started = sent.events.find((event) => event.eventName === "SettleStarted");
          if (started?.eventName === "SettleStarted") this.#settling.set(channelId, started.args.settlingAt);
          this.options.log?.(`settler: started settling ${channelId} (owed ${total})`);
          result.settled = (result.settled ?? 0) + 1;
        } catch (error) {
          // The payer settled (or closed) it first: the logs bring that in on the next pass.
          if (!(error instanceof AccordContractError)) throw error;
          this.options.log?.(`settler: could not settle ${channelId}: ${error.errorName}`);
        }
      }
    }
    const now = await this.client.latestTimestamp();
    for (const [channelId, settlingAt] of [...this.#settling]) {
      const view = await this.client.getChannel(channelId);
      if (view.status === ChannelStatus.Closed) {
        this.#finish(channelId);
        continue;
      }
      const effectiveSettlingAt = view.settlingAt === 0n ? settlingAt : view.settlingAt;
      if (now < effectiveSettlingAt) result.redeemed += await this.#redeem(channelId);
      else if (await this.#collect(channelId)) result.collected += 1;
    }
    return result;
  }

  async #scan(fromBlock: number, toBlock: number, ids: Set<string>): Promise<void> {
    const address = await this.client.channels.getAddress();
    const topic = this.client.channels.interface.getEvent("SettleStarted").topicHash;
    const range = this.options.logRange ?? 5000;
    for (let from = fromBlock; from <= toBlock; from += range) {
      const to = Math.min(toBlock, from + range - 1);
      const logs = await this.client.provider.getLogs({ address, topics: [topic], fromBlock: from, toBlock: to });
      for (const log of logs) {
        const decoded = paymentChannelsDecoder.decode(log);
        if (decoded?.eventName !== "SettleStarted") continue;
        const channelId = decoded.args.channelId.toLowerCase();
        if (!ids.has(channelId)) continue;
        this.options.log?.(`settler: channel ${channelId} settles at ${decoded.args.settlingAt}; redeeming`);
        this.#settling.set(channelId, decoded.args.settlingAt);
      }
    }
  }

  /** Redeems every best voucher the chain does not show yet; returns how many were submitted. */
  async #redeem(channelId: string): Promise<number> {
    let submitted = 0;
    for (const { lane, signed, secret } of this.options.store.bestVouchers(channelId)) {
      const onChain = await this.client.getLane(channelId, lane);
      if (onChain !== undefined && onChain.nonce >= signed.voucher.nonce) continue;
      try {
        await this.client.updateChannelState(signed, secret);
        submitted += 1;
      } catch (error) {
        // A voucher a merge superseded, or one already redeemed by the payer's own submission, is not an error.
        if (!(error instanceof AccordContractError)) throw error;
        this.options.log?.(`settler: lane ${lane} of ${channelId} not redeemed: ${error.errorName}`);
      }
    }
    return submitted;
  }

  async #collect(channelId: string): Promise<boolean> {
    try {
      await this.client.collect(channelId);
      this.options.log?.(`settler: collected ${channelId}`);
      this.#finish(channelId);
      return true;
    } catch (error) {
      if (error instanceof AccordContractError && error.errorName === "PaymentChannels_ChannelClosed") {
        this.#finish(channelId);
        return false;
      }
      throw error;
    }
  }

  #finish(channelId: string): void {
    this.#settling.delete(channelId);
    this.options.store.markFinished(channelId);
  }
}
