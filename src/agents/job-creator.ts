// The job creator's agent: posts job offers, signs the proposals it checks, fetches each deal's results from the
// provider (a CAR checked block by block against results_id), then accepts them or asks for mediation (its policy:
// results that fail its check, and a sample of those that pass), and claims timeoutSubmitResults and
// timeoutMediateResults when the other side stays silent.
//
// Every judgement is written to the journal before it is sent, so a restart sends the same one.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type pino from "pino";
import { AgreementState } from "../model/types";
import type { JobCreatorClient } from "../clients/job-creator";
import type { RegistryClient } from "../clients/registry";
import { bytes32ToCid } from "../model/cid";
import { getJobOfferId } from "../model/ids";
import type { Deal, DealPricing, DealTimeouts, JobOffer, MachineSpec, ModuleConfig, PricingMode } from "../model/types";
import { fetchResults, type ResultStore } from "../results";
import type { RetrievalClient } from "../retrieval";
import { askFromJson } from "../retrieval/protocol";
import type { NoticeView, SolverApiClient } from "../solver/client";
import { Journal } from "./journal";
import { recordOf, settleProposals, signProposal } from "./party";
import { AgentRuntime, FINAL_STATES, type DealRecord, type IndexedDeal } from "./runtime";

/** What a job creator asks for: one job offer's contents. */
export interface JobSpec {
  module: ModuleConfig;
  inputs: Record<string, string>;
  spec: MachineSpec;
  mode: PricingMode;
  pricing: DealPricing;
  timeouts: DealTimeouts;
}

export interface JobCreatorPolicy {
  /** The share of results that pass the check but go to mediation anyway (0-1). */
  sampleRate?: number;
  /** The share of deals it goes silent on once results arrive (0-1): the provider claims timeoutJudgeResults. */
  silent?: number;
  /**
   * When a proposal it signed lapses because the provider did not sign, agree on chain anyway (the two-step path):
   * a provider that was only briefly away can still agree directly, and otherwise timeoutAgree returns the escrow.
   * Default true.
   */
  agreeOnChainWhenDropped?: boolean;
  /**
   * The job creator's own check of fetched results (their files under `dir`); default: every .json file parses. A
   * failed check sends the results to mediation.
   */
  check?(dir: string, deal: Deal): Promise<boolean> | boolean;
}

export interface JobCreatorAgentOptions {
  client: JobCreatorClient;
  solver: SolverApiClient;
  solverAddress: string;
  mediators: string[];
  /** Where providers' results URLs are found. */
  registry: RegistryClient;
  indexerUrl: string;
  dataDir: string;
  /** Where fetched results are kept. */
  results: ResultStore;
  /**
   * Paid retrieval: results are retrieved at the provider's ask, paid by vouchers on a channel to it (a free ask needs
   * none). Without it they are fetched as a free CAR.
   */
  retrieval?: {
    client: RetrievalClient;
    /** The most it pays per byte; a dearer ask sends the deal to mediation unfetched. */
    maxPricePerByte?: bigint;
    /** The least it deposits when a channel is opened or topped up, so one deposit serves many deals. */
    minDeposit?: bigint;
  };
  /** The next job to post. */
  nextJob(): JobSpec;
  /** Pause between posts (ms); 0: post nothing on its own (post() only). */
  postIntervalMs?: number;
  /** At most this many jobs in flight (offers and deals not final). */
  maxInFlight?: number;
  /** An offer unmatched this long is given up on (ms; the solver's match timeout). */
  offerLifetimeMs?: number;
  policy?: JobCreatorPolicy;
  logger: pino.Logger;
  random?: () => number;
  tickMs?: number;
}

interface JobRecord {
  offerId: string;
  postedAt: number;
  dealId?: string;
  closed?: boolean;
}

/** The default check: every .json file of the results parses. */
export function jsonFilesParse(dir: string): boolean {
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".json")) continue;
    try {
      JSON.parse(fs.readFileSync(path.join(entry.parentPath, entry.name), "utf8"));
    } catch {
      return false;
    }
  }
  return true;
}

export class JobCreatorAgent {
  readonly runtime: AgentRuntime;
  private readonly jobs: Journal<JobRecord>;
  private notices: { close(): void } | undefined;
  private poster: NodeJS.Timeout | undefined;
  private readonly random: () => number;

  constructor(private readonly options: JobCreatorAgentOptions) {
    this.runtime = new AgentRuntime({
      client: options.client,
      indexerUrl: options.indexerUrl,
      dealField: "jobCreator",
      dataDir: options.dataDir,
      logger: options.logger,
      tickMs: options.tickMs,
    });
    this.jobs = Journal.open<JobRecord>(`${options.dataDir}/jobs`);
    this.random = options.random ?? Math.random;
  }

  private get log(): pino.Logger {
    return this.runtime.logger;
  }

  async start(): Promise<void> {
    await this.runtime.start({ onDeal: (deal) => this.onDeal(deal), onTick: (record) => this.onTick(record) });
    this.notices = this.options.solver.notices({
      next: (notice) => void this.onNotice(notice),
      connected: () =>
        void this.runtime.serial("jobs", "settling proposals", () =>
          settleProposals(this.runtime, this.options.solver),
        ),
      error: (error) => this.log.warn({ err: error }, "the solver's notices failed"),
    });
    const interval = this.options.postIntervalMs ?? 0;
    if (interval > 0) {
      this.poster = setInterval(() => {
        if (this.inFlight() < (this.options.maxInFlight ?? 2)) void this.post().catch(() => {});
      }, interval);
    }
  }

  async close(): Promise<void> {
    if (this.poster) clearInterval(this.poster);
    this.notices?.close();
    this.options.solver.close();
    await this.runtime.close();
    this.jobs.close();
  }

  /** Jobs in flight: offers still waiting for a match, and deals not final. */
  private inFlight(): number {
    const lifetime = this.options.offerLifetimeMs ?? 30_000;
    const waiting = this.jobs.values().filter((j) => !j.closed && !j.dealId && Date.now() - j.postedAt < lifetime);
    return waiting.length + this.runtime.journal.values().filter((r) => !r.done).length;
  }

  /** Posts the next job offer; returns its ID. */
  post(): Promise<string> {
    let posted = "";
    return this.runtime
      .serial("jobs", "posting a job", async () => {
        const job = this.options.nextJob();
        const offer: JobOffer = {
          id: "",
          created_at: Date.now(),
          job_creator: await this.options.client.getAddress(),
          ...job,
          trusted_parties: { solver: this.options.solverAddress, mediator: this.options.mediators },
        };
        offer.id = await getJobOfferId(offer);
        this.jobs.put(offer.id, { offerId: offer.id, postedAt: Date.now() });
        const { status } = await this.options.solver.postJobOffer(offer);
        posted = offer.id;
        this.log.info({ offer: offer.id, module: job.module.name, status }, "job offer posted");
      })
      .then(() => posted);
  }

  private async onNotice(notice: NoticeView): Promise<void> {
    const deal = notice.proposal?.deal;
    if (notice.kind === "proposed" && deal && deal.members.job_creator.toLowerCase() === this.runtime.me) {
      await this.runtime.serial(deal.id, "signing", async () => {
        const job = this.jobs.get(deal.job_offer.id);
        if (job && !job.closed) this.jobs.put(job.offerId, { ...job, dealId: deal.id });
        await signProposal(
          {
            runtime: this.runtime,
            client: this.options.client,
            solver: this.options.solver,
            // A job this agent posted and has not given up on (or agreed on chain with another provider).
            ownsOffer: (d) => {
              const posted = this.jobs.get(d.job_offer.id);
              return posted !== undefined && !posted.closed;
            },
          },
          notice,
        );
      });
    } else if (notice.kind === "dropped" && deal && this.runtime.journal.get(deal.id)?.step === "signed") {
      await this.runtime.serial(deal.id, "agreeing on chain", () => this.agreeOnChain(deal));
    } else if ((notice.kind === "dropped" || notice.kind === "failed") && deal) {
      if (this.runtime.journal.get(deal.id)) this.runtime.journal.update(deal.id, { done: true, step: notice.kind });
      const job = this.jobs.get(deal.job_offer.id);
      if (job) {
        const reopened = (notice.reopened ?? []).includes(job.offerId);
        this.jobs.put(job.offerId, { ...job, dealId: undefined, closed: !reopened });
      }
    } else if (notice.kind === "expired" && notice.offerId) {
      const job = this.jobs.get(notice.offerId);
      if (job) this.jobs.put(job.offerId, { ...job, closed: true });
      this.log.info({ offer: notice.offerId }, "job offer expired unmatched");
    }
  }

  /** A proposal it signed lapsed at the solver: agree on chain on its own (or let it go, per the policy). */
  private async agreeOnChain(deal: Deal): Promise<void> {
    const job = this.jobs.get(deal.job_offer.id);
    if (this.options.policy?.agreeOnChainWhenDropped === false) {
      this.runtime.journal.update(deal.id, { done: true, step: "dropped" });
      if (job) this.jobs.put(job.offerId, { ...job, dealId: undefined });
      return;
    }
    // The job is this deal's now: out of the solver's book (it was returned there, as this agent had signed).
    if (job) this.jobs.put(job.offerId, { ...job, dealId: deal.id, closed: true });
    await this.options.solver.withdrawOffer(deal.job_offer.id).catch((error: unknown) => {
      // Matched again meanwhile (this agent declines that proposal) or gone: nothing to withdraw.
      this.log.debug({ err: error, offer: deal.job_offer.id }, "the job offer could not be withdrawn");
    });
    this.runtime.journal.update(deal.id, { step: "agreed-on-chain" });
    const sent = await this.options.client.agree(deal);
    this.log.info({ deal: deal.id, tx: sent.hash }, "the proposal lapsed: agreed on chain (two-step)");
  }

  private async onDeal(indexed: IndexedDeal): Promise<void> {
    const record = await recordOf(this.runtime, this.options.solver, indexed);
    if (!record || record.done) return;
    const log = this.log.child({ deal: record.dealId, dealKey: indexed.id });
    if (indexed.state === "ResultsSubmitted") await this.judge(record, indexed, log);
    if (FINAL_STATES.has(indexed.state)) {
      this.runtime.journal.update(record.dealId, { done: true });
      const job = this.jobs.get(this.runtime.dealOf(record).job_offer.id);
      if (job) this.jobs.put(job.offerId, { ...job, closed: true });
      log.info({ state: indexed.state }, "deal finished");
    }
  }

  /** Fetches and checks the results, decides (written down first), and sends the decision. */
  private async judge(record: DealRecord, indexed: IndexedDeal, log: pino.Logger): Promise<void> {
    const deal = this.runtime.dealOf(record);
    let step = record.step;
    if (step !== "accept" && step !== "check" && step !== "silent" && step !== "judged") {
      step = await this.decide(deal, indexed, log);
      this.runtime.journal.update(record.dealId, { step, resultsId: bytes32ToCid(indexed.resultsId!) });
    }
    if (step === "silent") {
      log.info("staying silent on the results (policy)");
      return;
    }
    if (step === "judged") return;
    if ((await this.options.client.getDealState(deal)) !== AgreementState.ResultsSubmitted) return;
    const sent =
      step === "accept" ? await this.options.client.acceptResult(deal) : await this.options.client.checkResult(deal);
    this.runtime.journal.update(record.dealId, { step: "judged" });
    log.info({ decision: step, tx: sent.hash }, step === "accept" ? "results accepted" : "mediation requested");
  }

  private async decide(deal: Deal, indexed: IndexedDeal, log: pino.Logger): Promise<"accept" | "check" | "silent"> {
    const policy = this.options.policy ?? {};
    const draw = this.random();
    if (draw < (policy.silent ?? 0)) return "silent";
    const resultsId = bytes32ToCid(indexed.resultsId!);
    const provider = await this.options.registry.getService(deal.members.resource_provider);
    if (!provider.registered || !/^https?:\/\//.test(provider.url)) {
      log.warn({ resultsId }, "the provider registers no results URL: mediation");
      return "check";
    }
    try {
      await this.fetch(provider.url, resultsId, log);
    } catch (error) {
      log.warn(
        { err: error, resultsId, url: provider.url },
        "the results could not be fetched and verified: mediation",
      );
      return "check";
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "accord-results-"));
    try {
      await this.options.results.extractTo(resultsId, dir);
      const passed = await (policy.check ?? jsonFilesParse)(dir, deal);
      if (!passed) {
        log.info({ resultsId }, "the results fail the check: mediation");
        return "check";
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    if (this.random() < (policy.sampleRate ?? 0)) {
      log.info({ resultsId }, "the results pass the check; sampled for mediation");
      return "check";
    }
    return "accept";
  }

  /** The deal's results into the store: by paid retrieval at the provider's ask when configured, else a free CAR. */
  private async fetch(url: string, resultsId: string, log: pino.Logger): Promise<void> {
    const retrieval = this.options.retrieval;
    if (retrieval === undefined) return fetchResults(url, resultsId, this.options.results);
    const base = url.endsWith("/") ? url : `${url}/`;
    const response = await fetch(new URL(`retrieval/ask/${resultsId}`, base));
    // A provider that sells nothing by retrieval (no ask: an older agent, a plain gateway) serves the CAR for free.
    if (response.status === 404) {
      await response.body?.cancel();
      return fetchResults(url, resultsId, this.options.results);
    }
    if (response.status !== 200) throw new Error(`the provider's ask for ${resultsId} answered ${response.status}`);
    const ask = askFromJson(await response.json());
    if (retrieval.maxPricePerByte !== undefined && ask.pricePerByte > retrieval.maxPricePerByte) {
      throw new Error(`the provider asks ${ask.pricePerByte} per byte, more than ${retrieval.maxPricePerByte}`);
    }
    const cost = ask.pricePerByte * BigInt(ask.size) + ask.unsealPrice;
    const minDeposit = retrieval.minDeposit ?? 0n;
    const outcome = await retrieval.client.retrieve(resultsId, url, {
      funds: cost === 0n ? undefined : cost > minDeposit ? cost : minDeposit,
    });
    log.info({ resultsId, received: outcome.received, paid: outcome.paid.toString() }, "results retrieved");
  }

  private async onTick(record: DealRecord): Promise<void> {
    if (!["DealNegotiating", "DealAgreed", "ResultsChecked"].includes(record.chainState ?? "")) return;
    const deal = this.runtime.dealOf(record);
    const deadline = await this.options.client.getDealDeadline(deal);
    if (!deadline.passed) return;
    const log = this.log.child({ deal: record.dealId, dealKey: record.dealKey });
    if (deadline.timeout === "agree") {
      if (!(await this.options.client.getDealRecord(deal)).agreedBy.jobCreator) return;
      const sent = await this.options.client.timeoutAgree(deal);
      log.info({ tx: sent.hash }, "claimed timeoutAgree: the provider never agreed");
    } else if (deadline.timeout === "submitResults") {
      const sent = await this.options.client.timeoutSubmitResults(deal);
      log.info({ tx: sent.hash }, "claimed timeoutSubmitResults: the provider stayed silent");
    } else if (deadline.timeout === "mediateResults") {
      const sent = await this.options.client.timeoutMediateResults(deal);
      log.info({ tx: sent.hash }, "claimed timeoutMediateResults: the mediator stayed silent");
    }
  }
}
