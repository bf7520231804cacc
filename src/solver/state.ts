// The solver's state in SQL (the indexer's database: PGlite by default, PostgreSQL with a URL), so that a solver
// killed at any point and restarted loses no offer and proposes no deal twice.
//
// Two tables, in the solver's own SQL schema:
//   offers     every accepted offer (its canonical JSON), its state (open, matched, expired, withdrawn) and the deal
//              that took it;
//   proposals  every proposed deal (its canonical JSON) and its state (proposed, agreed, dropped). A partial unique
//              index on each offer of a proposal that is not dropped makes a double booking impossible in the
//              database itself, whatever process writes it.
// A post's writes (the offer, the proposal it made, the other offer's new state) commit in one transaction.

import { ident } from "../indexer/store/codec";
import type { Queryable, SqlDriver } from "../indexer/store/driver";
import { getModuleId } from "../model/ids";
import { encodeJson } from "../model/json";
import { dealSchema, jobOfferSchema, resourceOfferSchema } from "../model/schemas";
import type { Deal, JobOffer, ResourceOffer } from "../model/types";
import { parseDeal, parseJobOffer, parseResourceOffer } from "../model/validate";
import type { OfferKind } from "./intake";

export type OfferState = "open" | "matched" | "expired" | "withdrawn";
export type ProposalState = "proposed" | "agreed" | "dropped";

export interface StoredProposal {
  deal: Deal;
  /** The job's module ID. */
  moduleId: string;
  state: ProposalState;
  /** When it was proposed (ms). */
  proposedAt: number;
}

export class SolverState {
  private constructor(
    private readonly driver: SqlDriver,
    private readonly schema: string,
  ) {}

  /** The solver's tables in `schema` (created if missing) on `driver`. */
  static async open(driver: SqlDriver, schema = "accord_solver"): Promise<SolverState> {
    const state = new SolverState(driver, schema);
    const s = ident(schema);
    await driver.transaction(async (tx) => {
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await tx.query(
        `CREATE TABLE IF NOT EXISTS ${s}.offers (
          id text PRIMARY KEY,
          kind text NOT NULL CHECK (kind IN ('job', 'resource')),
          body text NOT NULL,
          module_id text,
          created_at bigint NOT NULL,
          state text NOT NULL CHECK (state IN ('open', 'matched', 'expired', 'withdrawn')),
          deal_id text,
          seq bigserial NOT NULL
        )`,
      );
      await tx.query(`CREATE INDEX IF NOT EXISTS offers_open ON ${s}.offers (seq) WHERE state = 'open'`);
      await tx.query(
        `CREATE TABLE IF NOT EXISTS ${s}.proposals (
          id text PRIMARY KEY,
          job_offer_id text NOT NULL,
          resource_offer_id text NOT NULL,
          body text NOT NULL,
          state text NOT NULL CHECK (state IN ('proposed', 'agreed', 'dropped')),
          proposed_at bigint NOT NULL
        )`,
      );
      // No offer in two live proposals: the database refuses a double booking.
      await tx.query(
        `CREATE UNIQUE INDEX IF NOT EXISTS proposals_job_live ON ${s}.proposals (job_offer_id) WHERE state <> 'dropped'`,
      );
      await tx.query(
        `CREATE UNIQUE INDEX IF NOT EXISTS proposals_resource_live ON ${s}.proposals (resource_offer_id) WHERE state <> 'dropped'`,
      );
    });
    return state;
  }

  private t(table: string): string {
    return `${ident(this.schema)}.${table}`;
  }

  /** Whether an offer with this ID was ever accepted. */
  async hasOffer(id: string): Promise<boolean> {
    const rows = await this.driver.query(`SELECT 1 FROM ${this.t("offers")} WHERE id = $1::text`, [id]);
    return rows.length > 0;
  }

  /** The open offers, in the order they were accepted, and the live proposals. */
  async load(): Promise<{
    jobs: { offer: JobOffer; moduleId: string }[];
    resources: ResourceOffer[];
    proposals: StoredProposal[];
  }> {
    const offers = await this.driver.query<{ kind: OfferKind; body: string; module_id: string | null }>(
      `SELECT kind, body, module_id FROM ${this.t("offers")} WHERE state = 'open' ORDER BY seq`,
    );
    const jobs: { offer: JobOffer; moduleId: string }[] = [];
    const resources: ResourceOffer[] = [];
    for (const row of offers) {
      if (row.kind === "job") jobs.push({ offer: parseJobOffer(row.body), moduleId: row.module_id! });
      else resources.push(parseResourceOffer(row.body));
    }
    const proposals = await this.driver.query<{ body: string; state: ProposalState; proposed_at: unknown }>(
      `SELECT body, state, proposed_at FROM ${this.t("proposals")} WHERE state <> 'dropped' ORDER BY proposed_at, id`,
    );
    const live: StoredProposal[] = [];
    for (const p of proposals) {
      const deal = parseDeal(p.body);
      live.push({
        deal,
        moduleId: await getModuleId(deal.job_offer.module),
        state: p.state,
        proposedAt: Number(p.proposed_at),
      });
    }
    return { jobs, resources, proposals: live };
  }

  /**
   * Records an accepted offer, and, when the book matched it, the proposal and the other offer's new state, in one
   * transaction.
   */
  async recordPost(post: {
    kind: OfferKind;
    offer: JobOffer | ResourceOffer;
    moduleId?: string;
    proposal?: { deal: Deal; proposedAt: number };
    /** The offers that left the book without a deal (a provider's replaced offer). */
    replaced?: string[];
  }): Promise<void> {
    await this.driver.transaction(async (tx) => {
      const { kind, offer, proposal } = post;
      const body = kind === "job" ? encodeJson(offer, jobOfferSchema) : encodeJson(offer, resourceOfferSchema);
      await tx.query(
        `INSERT INTO ${this.t("offers")} (id, kind, body, module_id, created_at, state, deal_id)` +
          ` VALUES ($1::text, $2::text, $3::text, $4::text, $5::text::int8, $6::text, $7::text)`,
        [
          offer.id,
          kind,
          body,
          post.moduleId ?? null,
          String(offer.created_at),
          proposal ? "matched" : "open",
          proposal?.deal.id ?? null,
        ],
      );
      for (const id of post.replaced ?? []) await this.setOfferState(tx, id, "withdrawn");
      if (proposal) await this.insertProposal(tx, proposal.deal, proposal.proposedAt);
    });
  }

  /** Offers that left the book (expired, withdrawn) without a deal. */
  async closeOffers(ids: readonly string[], state: "expired" | "withdrawn"): Promise<void> {
    if (ids.length === 0) return;
    await this.driver.transaction(async (tx) => {
      for (const id of ids) await this.setOfferState(tx, id, state);
    });
  }

  /**
   * A proposal dropped (a party did not sign in time): both offers open again, and the proposals the book made with
   * them at once, in one transaction.
   */
  async dropProposal(dealId: string, rematched: { deal: Deal; proposedAt: number }[]): Promise<void> {
    await this.driver.transaction(async (tx) => {
      const rows = await tx.query<{ job_offer_id: string; resource_offer_id: string }>(
        `UPDATE ${this.t("proposals")} SET state = 'dropped' WHERE id = $1::text AND state = 'proposed'` +
          ` RETURNING job_offer_id, resource_offer_id`,
        [dealId],
      );
      for (const row of rows) {
        await this.setOfferState(tx, row.job_offer_id, "open");
        await this.setOfferState(tx, row.resource_offer_id, "open");
      }
      for (const p of rematched) await this.insertProposal(tx, p.deal, p.proposedAt);
    });
  }

  /** A proposal both parties agreed to on chain. */
  async markAgreed(dealId: string): Promise<void> {
    await this.driver.query(`UPDATE ${this.t("proposals")} SET state = 'agreed' WHERE id = $1::text`, [dealId]);
  }

  private async insertProposal(tx: Queryable, deal: Deal, proposedAt: number): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.t("proposals")} (id, job_offer_id, resource_offer_id, body, state, proposed_at)` +
        ` VALUES ($1::text, $2::text, $3::text, $4::text, 'proposed', $5::text::int8)`,
      [deal.id, deal.job_offer.id, deal.resource_offer.id, encodeJson(deal, dealSchema), String(proposedAt)],
    );
    await this.setOfferState(tx, deal.job_offer.id, "matched", deal.id);
    await this.setOfferState(tx, deal.resource_offer.id, "matched", deal.id);
  }

  private async setOfferState(tx: Queryable, id: string, state: OfferState, dealId?: string): Promise<void> {
    await tx.query(`UPDATE ${this.t("offers")} SET state = $2::text, deal_id = $3::text WHERE id = $1::text`, [
      id,
      state,
      dealId ?? null,
    ]);
  }
}
