// The resource provider's agent: keeps one offer per machine posted to the solver, signs the proposals it checks,
// runs each agreed job with its executor, keeps the results content-addressed and serves them over HTTP, submits
// them (addResult with the instruction count), and claims timeoutJudgeResults when the job creator stays silent.
//
// A machine is busy from the proposal that took its offer until that deal is final (or the proposal came to
// nothing); then its next offer is posted. The demo's faults are decisions like any other: drawn once per deal,
// written to the journal before they act, so a restart does not change its mind.

import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import type pino from "pino";
import { AgreementState } from "../model/types";
import type { ResourceProviderClient } from "../clients/resource-provider";
import { getResourceOfferId } from "../model/ids";
import type { Deal, DealPricing, DealTimeouts, MachineSpec, ResourceOffer } from "../model/types";
import type { Executor } from "../executor";
import { resultsHandler, type ResultStore } from "../results";
import type { RetrievalProvider } from "../retrieval";
import type { NoticeView, SolverApiClient } from "../solver/client";
import { Journal } from "./journal";
import { recordOf, settleProposals, signProposal } from "./party";
import { AgentRuntime, FINAL_STATES, type DealRecord, type IndexedDeal } from "./runtime";

/** How long after the mediate deadline the provider leaves the claim to the job creator (s). */
const MEDIATE_CLAIM_GRACE_SECONDS = 15n;

export interface MachineConfig {
  /** The machine's index: the provider has at most one open offer per index. */
  index: number;
  spec: MachineSpec;
  /** Module IDs it runs; empty or absent: every module. */
  modules?: string[];
  pricing: DealPricing;
  timeouts: DealTimeouts;
  modulePricing?: Record<string, DealPricing>;
  moduleTimeouts?: Record<string, DealTimeouts>;
  /** The onboarded machine (its MachineRegistry ID) its offers name: the solver checks them against it. */
  machineId?: string;
}

export interface ProviderFaults {
  /** The share of deals whose results it corrupts before submitting (0-1): the job creator's check fails them. */
  wrongResults?: number;
  /**
   * The share of deals it goes silent on (0-1): half of them it never signs (the solver drops the proposal; if the
   * job creator then agrees on chain, the provider comes back and agrees for half of those, else the job creator
   * claims timeoutAgree), the other half it signs and never runs (the job creator claims timeoutSubmitResults).
   */
  silent?: number;
}

export interface ResourceProviderAgentOptions {
  client: ResourceProviderClient;
  solver: SolverApiClient;
  solverAddress: string;
  mediators: string[];
  indexerUrl: string;
  dataDir: string;
  machines: MachineConfig[];
  executor: Executor;
  results: ResultStore;
  logger: pino.Logger;
  /**
   * Paid retrieval of the results (/retrieval/…, for vouchers on a payment channel) beside the free CAR route: job
   * creators retrieve this way, at the provider's ask.
   */
  retrieval?: RetrievalProvider;
  /** The results server (GET /ipfs/<cid>?format=car); port 0 picks one. */
  host?: string;
  port?: number;
  faults?: ProviderFaults;
  random?: () => number;
  tickMs?: number;
}

/** A machine's posted offer. */
interface OfferRecord {
  index: number;
  offerId: string;
  /** The deal that took it, once proposed. */
  dealId?: string;
}

export class ResourceProviderAgent {
  readonly runtime: AgentRuntime;
  private readonly offers: Journal<OfferRecord>;
  private server: http.Server | undefined;
  private notices: { close(): void } | undefined;
  private readonly random: () => number;
  url = "";

  constructor(private readonly options: ResourceProviderAgentOptions) {
    this.runtime = new AgentRuntime({
      client: options.client,
      indexerUrl: options.indexerUrl,
      dealField: "resourceProvider",
      dataDir: options.dataDir,
      logger: options.logger,
      tickMs: options.tickMs,
    });
    this.offers = Journal.open<OfferRecord>(`${options.dataDir}/offers`);
    this.random = options.random ?? Math.random;
  }

  private get log(): pino.Logger {
    return this.runtime.logger;
  }

  /** Serves the results, follows the solver and the indexer, and posts an offer for every idle machine. */
  async start(): Promise<void> {
    const free = resultsHandler(this.options.results);
    const paid = this.options.retrieval?.handler();
    const handle = async (req: http.IncomingMessage, res: http.ServerResponse) =>
      (paid !== undefined && (await paid(req, res))) || free(req, res);
    this.server = http.createServer((req, res) => {
      handle(req, res)
        .then((handled) => {
          if (handled) return;
          res.writeHead(req.url === "/health" ? 200 : 404, { "content-type": "application/json" });
          res.end(JSON.stringify(req.url === "/health" ? { status: "ok" } : { error: "not found" }));
        })
        .catch((error: unknown) => {
          this.log.error({ err: error }, "results request failed");
          if (!res.headersSent) res.writeHead(500).end();
        });
    });
    await new Promise<void>((resolve) =>
      this.server!.listen(this.options.port ?? 0, this.options.host ?? "127.0.0.1", resolve),
    );
    const { address, port } = this.server.address() as AddressInfo;
    this.url = `http://${address}:${port}`;

    await this.runtime.start({
      onDeal: (deal) => this.onDeal(deal),
      onTick: (record) => this.onTick(record),
    });
    this.notices = this.options.solver.notices({
      next: (notice) => void this.onNotice(notice),
      connected: () => void this.postIdleMachines(),
      error: (error) => this.log.warn({ err: error }, "the solver's notices failed"),
    });
  }

  async close(): Promise<void> {
    this.notices?.close();
    this.options.solver.close();
    await this.runtime.close();
    this.offers.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
  }

  /** The machines with no deal under way: each gets an offer unless the solver holds an open one for it. */
  private postIdleMachines(): Promise<void> {
    return this.runtime.serial("offers", "posting offers", async () => {
      // A proposal it was away for stays open (the job creator may agree on chain): onTick closes it.
      await settleProposals(this.runtime, this.options.solver, (r) => r.step === "absent");
      const busy = new Set<number>();
      for (const record of this.runtime.journal.values()) {
        if (!record.done) busy.add(this.runtime.dealOf(record).resource_offer.index);
      }
      for (const machine of this.options.machines) {
        if (busy.has(machine.index)) continue;
        const posted = this.offers.get(String(machine.index));
        if (posted && !posted.dealId) {
          const stored = await this.options.solver.graphql.request<{ offer: { state: string } | null }>(
            `query ($id: String!) { offer(id: $id) { state } }`,
            { id: posted.offerId },
          );
          if (stored.offer?.state === "open") continue;
        }
        await this.post(machine);
      }
    });
  }

  private async post(machine: MachineConfig): Promise<void> {
    const me = await this.options.client.getAddress();
    const offer: ResourceOffer = {
      id: "",
      created_at: Date.now(),
      resource_provider: me,
      index: machine.index,
      spec: machine.spec,
      modules: machine.modules ?? [],
      mode: "FixedPrice",
      default_pricing: machine.pricing,
      default_timeouts: machine.timeouts,
      module_pricing: machine.modulePricing ?? {},
      module_timeouts: machine.moduleTimeouts ?? {},
      trusted_parties: { solver: this.options.solverAddress, mediator: this.options.mediators },
    };
    offer.id = await getResourceOfferId(offer);
    this.offers.put(String(machine.index), { index: machine.index, offerId: offer.id });
    const { status } = await this.options.solver.postResourceOffer(offer, { machineId: machine.machineId });
    this.log.info(
      { offer: offer.id, machine: machine.index, machineId: machine.machineId, status },
      "resource offer posted",
    );
  }

  private ownsOffer(deal: Deal): boolean {
    const posted = this.offers.get(String(deal.resource_offer.index));
    return posted?.offerId === deal.resource_offer.id;
  }

  private async onNotice(notice: NoticeView): Promise<void> {
    const deal = notice.proposal?.deal;
    if (notice.kind === "proposed" && deal && deal.members.resource_provider.toLowerCase() === this.runtime.me) {
      await this.runtime.serial(deal.id, "signing", async () => {
        const posted = this.offers.get(String(deal.resource_offer.index));
        if (posted?.offerId === deal.resource_offer.id) {
          this.offers.put(String(deal.resource_offer.index), { ...posted, dealId: deal.id });
        }
        if (this.random() < (this.options.faults?.silent ?? 0) / 2) {
          this.runtime.remember(deal, { step: "absent" });
          this.log.info({ deal: deal.id }, "not signing this proposal (fault: away)");
          return;
        }
        await signProposal(
          {
            runtime: this.runtime,
            client: this.options.client,
            solver: this.options.solver,
            ownsOffer: (d) => this.ownsOffer(d),
          },
          notice,
        );
      });
      return;
    }
    if ((notice.kind === "dropped" || notice.kind === "failed") && deal) {
      const record = this.runtime.journal.get(deal.id);
      // Away from a proposal, the machine stays away too: the job creator may still agree on chain (and the provider
      // come back to it); onTick gives up after the agree timeout.
      if (record && record.step !== "absent") this.runtime.journal.update(deal.id, { done: true, step: notice.kind });
      const posted = this.offers.get(String(deal.resource_offer.index));
      if (posted?.dealId === deal.id && !(notice.reopened ?? []).includes(deal.resource_offer.id)) {
        this.offers.delete(String(deal.resource_offer.index));
      } else if (posted?.dealId === deal.id) {
        this.offers.put(String(deal.resource_offer.index), { index: posted.index, offerId: posted.offerId });
      }
      await this.postIdleMachines();
    } else if (notice.kind === "withdrawn" || notice.kind === "expired") {
      await this.postIdleMachines();
    }
  }

  private async onDeal(indexed: IndexedDeal): Promise<void> {
    const record = await recordOf(this.runtime, this.options.solver, indexed);
    if (!record) return;
    const log = this.log.child({ deal: record.dealId, dealKey: indexed.id });
    if (record.done) return;
    // A proposal it was away for, which the job creator then agreed on chain: it may come back to it.
    if (indexed.state === "DealNegotiating" && record.step === "absent") return this.comeBack(record, log);
    if (indexed.state === "DealNegotiating") await this.agreeOnChain(record, log);
    if (indexed.state === "DealAgreed") await this.runJob(record, log);
    if (FINAL_STATES.has(indexed.state)) {
      this.runtime.journal.update(record.dealId, { done: true });
      log.info({ state: indexed.state }, "deal finished");
      await this.postIdleMachines();
    }
  }

  /**
   * The job creator agreed on chain on its own (the two-step path, after a proposal lapsed): the provider agrees too.
   * For a proposal it was away for (its machine kept free for it), it comes back for half of them, decided once.
   */
  private async comeBack(record: DealRecord, log: pino.Logger): Promise<void> {
    const back = this.random() < 0.5;
    this.runtime.journal.update(record.dealId, { step: back ? "back" : "gone", done: !back });
    log.info(back ? "back: agreeing on chain" : "staying away (fault)");
    if (back) await this.agreeOnChain(this.runtime.journal.get(record.dealId)!, log);
  }

  private async agreeOnChain(record: DealRecord, log: pino.Logger): Promise<void> {
    if (record.step === "gone") return;
    const deal = this.runtime.dealOf(record);
    const chain = await this.options.client.getDealRecord(deal);
    if (chain.state !== AgreementState.DealNegotiating || chain.agreedBy.resourceProvider) return;
    const sent = await this.options.client.agree(deal);
    log.info({ tx: sent.hash }, "agreed on chain (two-step)");
  }

  /** Runs the job and submits its results, unless this deal's fault says otherwise. */
  private async runJob(record: DealRecord, log: pino.Logger): Promise<void> {
    const deal = this.runtime.dealOf(record);
    let step = record.step;
    if (step === "signed" || step === "signing" || step === "back" || step === undefined) {
      const faults = this.options.faults ?? {};
      const silent = (faults.silent ?? 0) / 2;
      const draw = this.random();
      step = draw < silent ? "silent" : draw < silent + (faults.wrongResults ?? 0) ? "wrong" : "honest";
      this.runtime.journal.update(record.dealId, { step });
    }
    if (step === "silent") {
      log.info("staying silent on this deal (fault)");
      return;
    }
    if (step === "submitted") return;
    let { resultsId, instructionCount } = record;
    if (!resultsId) {
      log.info({ module: deal.job_offer.module.name }, "running the job");
      const run = await this.options.executor.run(deal.job_offer, { dealId: deal.id });
      resultsId = run.resultsId;
      instructionCount = String(run.instructionCount);
      if (step === "wrong") resultsId = await this.alter(resultsId);
      this.runtime.journal.update(record.dealId, { resultsId, instructionCount });
      log.info({ resultsId, instructionCount, altered: step === "wrong" }, "job done");
    }
    const state = await this.options.client.getDealState(deal);
    if (state !== AgreementState.DealAgreed) return;
    const sent = await this.options.client.addResult(deal, { resultsId, instructionCount: BigInt(instructionCount!) });
    this.runtime.journal.update(record.dealId, { step: "submitted" });
    log.info({ resultsId, tx: sent.hash }, "results submitted");
  }

  /** The demo's wrong results: every file of the real ones cut to half (so JSON breaks), and a note. */
  private async alter(resultsId: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "accord-altered-"));
    try {
      await this.options.results.extractTo(resultsId, dir);
      for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = path.join(entry.parentPath, entry.name);
        const bytes = fs.readFileSync(file);
        fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
      }
      fs.writeFileSync(path.join(dir, "ALTERED"), "these results were altered by a faulty provider\n");
      return await this.options.results.importDirectory(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  private async onTick(record: DealRecord): Promise<void> {
    if (record.step === "absent" && !record.dealKey) {
      // Away from a proposal nobody agreed to on chain within the agree timeout (and a margin): the machine is free.
      const agree = Number(this.runtime.dealOf(record).timeouts.agree.timeout);
      if (Date.now() - (record.at ?? 0) > (agree + 30) * 1000) {
        this.runtime.journal.update(record.dealId, { step: "gone", done: true });
        await this.postIdleMachines();
      }
      return;
    }
    if (record.chainState !== "ResultsSubmitted" && record.chainState !== "ResultsChecked") return;
    const deal = this.runtime.dealOf(record);
    const deadline = await this.options.client.getDealDeadline(deal);
    if (!deadline.passed) return;
    const log = this.log.child({ deal: record.dealId, dealKey: record.dealKey });
    if (deadline.timeout === "judgeResults") {
      const sent = await this.options.client.timeoutJudgeResults(deal);
      log.info({ tx: sent.hash }, "claimed timeoutJudgeResults: the job creator stayed silent");
    } else if (deadline.timeout === "mediateResults") {
      // Everyone is refunded, so either party may claim it: the job creator does first, the provider a little later
      // if it has not (two claims at once would have one revert).
      if (BigInt(Math.floor(Date.now() / 1000)) <= deadline.deadline! + MEDIATE_CLAIM_GRACE_SECONDS) return;
      const sent = await this.options.client.timeoutMediateResults(deal);
      log.info({ tx: sent.hash }, "claimed timeoutMediateResults: the mediator stayed silent");
    }
  }
}
