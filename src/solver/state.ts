// The solver's state in SQL (the indexer's database: PGlite by default, PostgreSQL with a URL), so that a solver
// killed at any point and restarted loses no offer and proposes no deal twice.
//
// Two tables, in the solver's own SQL schema:
//   offers     every accepted offer (its canonical JSON), its state (open, matched, expired, withdrawn) and the deal
//              that took it; for a resource offer posted naming its onboarded machine, the machine's MachineRegistry
//              ID and its record's updatedAt when the offer was accepted (a partial unique index allows one open
//              offer per machine, whatever process writes);
//   proposals  every proposed deal (its canonical JSON), the deadline its agreement is signed for, each party's
//              signature as it arrives, and its state: proposed → signed (both signatures in) → agreed (on chain) or
//              failed (the market refused it); proposed → dropped (not signed in time). Once agreed, the deal's state
//              on chain as the indexer last reported it. A partial unique index on each offer of a proposal that is
//              not dropped makes a double booking impossible in the database itself, whatever process writes it.
// A post's writes (the offer, the proposal it made, the other offer's new state) commit in one transaction.

import type { PartyRole } from "../clients/party";
import { ident } from "../indexer/store/codec";
import {
  runWrites,
  writeAll,
  type Queryable,
  type SqlDriver,
  type SqlParam,
  type WriteStatement,
} from "../indexer/store/driver";
import { getModuleId } from "../model/ids";
import { encodeJson } from "../model/json";
import { dealSchema, jobOfferSchema, resourceOfferSchema } from "../model/schemas";
import type { Deal, JobOffer, ResourceOffer } from "../model/types";
import { parseDeal, parseJobOffer, parseResourceOffer } from "../model/validate";
import type { OfferKind, OfferMachine } from "./intake";

/**
 * Whether `error` is the offers table refusing an offer ID it holds: recordPosts of an offer accepted before (the
 * solver decides batches without asking first, and decides again on this error). PostgreSQL names the primary key.
 */
export function isKnownOfferConflict(error: unknown): boolean {
  const fields = error as { code?: unknown; constraint?: unknown } | null;
  return fields?.code === "23505" && fields.constraint === "offers_pkey";
}

export type OfferState = "open" | "matched" | "expired" | "withdrawn";
export type ProposalState = "proposed" | "signed" | "agreed" | "failed" | "dropped";

export interface StoredProposal {
  deal: Deal;
  /** The job's module ID. */
  moduleId: string;
  state: ProposalState;
  /** When it was proposed (ms). */
  proposedAt: number;
  /** The deadline (unix seconds) both parties sign the agreement for. */
  deadline: bigint;
  signatures: Partial<Record<PartyRole, string>>;
  /** Once submitted: the market's key for the deal and the transaction. */
  dealKey?: string;
  txHash?: string;
  /** Once agreed: the deal's state on chain (an AgreementState name), as last tracked. */
  chainState?: string;
  /** Why it was dropped or failed. */
  reason?: string;
  /** The onboarded machine its resource offer was posted for (set by load only). */
  machine?: OfferMachine;
}

/** An accepted offer as the solver keeps it. */
export interface StoredOffer {
  id: string;
  kind: OfferKind;
  /** The offer's canonical JSON. */
  body: string;
  state: OfferState;
  /** The deal that took it, if any. */
  dealId?: string;
  /** A resource offer's onboarded machine (its MachineRegistry ID), if the post named one. */
  machineId?: string;
}

/** An accepted offer to record, with the proposal it made and the offers it replaced. */
export interface PostRecord {
  kind: OfferKind;
  offer: JobOffer | ResourceOffer;
  moduleId?: string;
  proposal?: NewProposal;
  /** The offers that left the book without a deal (a provider's replaced offer). */
  replaced?: string[];
  /** A resource offer's onboarded machine, as read when it was accepted. */
  machine?: OfferMachine;
}

/** A proposal to record: the deal, when it was made (ms) and the deadline its agreement is signed for (s). */
export interface NewProposal {
  deal: Deal;
  proposedAt: number;
  deadline: bigint;
}

const SIGNATURE_COLUMN: Record<PartyRole, string> = {
  jobCreator: "job_creator_signature",
  resourceProvider: "resource_provider_signature",
};

type ProposalRow = {
  body: string;
  state: ProposalState;
  proposed_at: unknown;
  deadline: unknown;
  job_creator_signature: string | null;
  resource_provider_signature: string | null;
  deal_key: string | null;
  tx_hash: string | null;
  chain_state: string | null;
  reason: string | null;
};

/** An offer's machine columns, as an OfferMachine (undefined when the post named no machine). */
function machineOf(row: { machine_id: string | null; machine_updated_at: unknown }): OfferMachine | undefined {
  if (row.machine_id === null) return undefined;
  return { id: row.machine_id, updatedAt: BigInt(String(row.machine_updated_at)) };
}

const PROPOSAL_COLUMN_NAMES = [
  "body",
  "state",
  "proposed_at",
  "deadline",
  "job_creator_signature",
  "resource_provider_signature",
  "deal_key",
  "tx_hash",
  "chain_state",
  "reason",
] as const;
const PROPOSAL_COLUMNS = PROPOSAL_COLUMN_NAMES.join(", ");

async function proposalOf(row: ProposalRow): Promise<StoredProposal> {
  const deal = parseDeal(row.body);
  const signatures: Partial<Record<PartyRole, string>> = {};
  if (row.job_creator_signature) signatures.jobCreator = row.job_creator_signature;
  if (row.resource_provider_signature) signatures.resourceProvider = row.resource_provider_signature;
  return {
    deal,
    moduleId: await getModuleId(deal.job_offer.module),
    state: row.state,
    proposedAt: Number(row.proposed_at),
    deadline: BigInt(String(row.deadline)),
    signatures,
    dealKey: row.deal_key ?? undefined,
    txHash: row.tx_hash ?? undefined,
    chainState: row.chain_state ?? undefined,
    reason: row.reason ?? undefined,
  };
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
          party text NOT NULL,
          body text NOT NULL,
          module_id text,
          created_at bigint NOT NULL,
          state text NOT NULL CHECK (state IN ('open', 'matched', 'expired', 'withdrawn')),
          deal_id text,
          seq bigserial NOT NULL
        )`,
      );
      // Columns added after the table's first version: ADD COLUMN IF NOT EXISTS brings a database made before them up
      // to date (its offers named no machine: NULL) and does nothing on one made since.
      await tx.query(`ALTER TABLE ${s}.offers ADD COLUMN IF NOT EXISTS machine_id text`);
      await tx.query(`ALTER TABLE ${s}.offers ADD COLUMN IF NOT EXISTS machine_updated_at bigint`);
      await tx.query(`CREATE INDEX IF NOT EXISTS offers_open ON ${s}.offers (seq) WHERE state = 'open'`);
      // One open offer per onboarded machine: two posts naming one machine cannot both be open, even if the book's
      // check were bypassed (another process on the same database).
      await tx.query(
        `CREATE UNIQUE INDEX IF NOT EXISTS offers_machine_open ON ${s}.offers (machine_id)` +
          ` WHERE state = 'open' AND machine_id IS NOT NULL`,
      );
      await tx.query(`CREATE INDEX IF NOT EXISTS offers_party ON ${s}.offers (party, seq)`);
      await tx.query(
        `CREATE TABLE IF NOT EXISTS ${s}.proposals (
          id text PRIMARY KEY,
          job_offer_id text NOT NULL,
          resource_offer_id text NOT NULL,
          body text NOT NULL,
          state text NOT NULL CHECK (state IN ('proposed', 'signed', 'agreed', 'failed', 'dropped')),
          proposed_at bigint NOT NULL,
          deadline bigint NOT NULL,
          job_creator_signature text,
          resource_provider_signature text,
          deal_key text,
          tx_hash text,
          chain_state text,
          reason text
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

  /** The open offers, in the order they were accepted (resource offers with their machines), and the live proposals. */
  async load(): Promise<{
    jobs: { offer: JobOffer; moduleId: string }[];
    resources: { offer: ResourceOffer; machine?: OfferMachine }[];
    proposals: StoredProposal[];
  }> {
    const offers = await this.driver.query<{
      kind: OfferKind;
      body: string;
      module_id: string | null;
      machine_id: string | null;
      machine_updated_at: unknown;
    }>(
      `SELECT kind, body, module_id, machine_id, machine_updated_at FROM ${this.t("offers")}` +
        ` WHERE state = 'open' ORDER BY seq`,
    );
    const jobs: { offer: JobOffer; moduleId: string }[] = [];
    const resources: { offer: ResourceOffer; machine?: OfferMachine }[] = [];
    for (const row of offers) {
      if (row.kind === "job") jobs.push({ offer: parseJobOffer(row.body), moduleId: row.module_id! });
      else resources.push({ offer: parseResourceOffer(row.body), machine: machineOf(row) });
    }
    // Agreed proposals stay in the table (the deal containers) but not in memory: the book has no more to do with them.
    // Each with its resource offer's machine: a dropped proposal returns the offer to the book with it.
    const proposals = await this.driver.query<ProposalRow & { machine_id: string | null; machine_updated_at: unknown }>(
      `SELECT ${PROPOSAL_COLUMN_NAMES.map((c) => `p.${c}`).join(", ")}, o.machine_id, o.machine_updated_at` +
        ` FROM ${this.t("proposals")} AS p LEFT JOIN ${this.t("offers")} AS o ON o.id = p.resource_offer_id` +
        ` WHERE p.state IN ('proposed', 'signed') ORDER BY p.proposed_at, p.id`,
    );
    const live: StoredProposal[] = [];
    for (const row of proposals) live.push({ ...(await proposalOf(row)), machine: machineOf(row) });
    return { jobs, resources, proposals: live };
  }

  /** Which of these offer IDs were ever accepted. */
  async knownOffers(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.driver.query<{ id: string }>(
      `SELECT id FROM ${this.t("offers")} WHERE id = ANY($1::text[])`,
      [[...ids]],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Records one accepted offer (see recordPosts). */
  async recordPost(post: PostRecord): Promise<void> {
    await this.recordPosts([post]);
  }

  /**
   * Records accepted offers, in order, in one transaction: each offer, and, when the book matched it, the proposal and
   * the other offer's new state, and the offers it replaced.
   */
  async recordPosts(posts: readonly PostRecord[]): Promise<void> {
    if (posts.length === 0) return;
    // A batch is a few statements whatever its size (arrays through unnest), not a few per post: at hundreds of
    // posts a second the statements were a quarter of the solver's time on PGlite (bench:solver).
    const columns: {
      [name in "id" | "kind" | "party" | "body" | "module" | "created" | "machine" | "machineAt"]: (string | null)[];
    } = {
      id: [],
      kind: [],
      party: [],
      body: [],
      module: [],
      created: [],
      machine: [],
      machineAt: [],
    };
    const withdrawn: string[] = [];
    const proposals: NewProposal[] = [];
    for (const post of posts) {
      const { kind, offer } = post;
      columns.id.push(offer.id);
      columns.kind.push(kind);
      const party = kind === "job" ? (offer as JobOffer).job_creator : (offer as ResourceOffer).resource_provider;
      columns.party.push(party.toLowerCase());
      columns.body.push(kind === "job" ? encodeJson(offer, jobOfferSchema) : encodeJson(offer, resourceOfferSchema));
      columns.module.push(post.moduleId ?? null);
      columns.created.push(String(offer.created_at));
      columns.machine.push(post.machine?.id ?? null);
      columns.machineAt.push(post.machine ? String(post.machine.updatedAt) : null);
      withdrawn.push(...(post.replaced ?? []));
      if (post.proposal) proposals.push(post.proposal);
    }
    // Each new offer is inserted in the state the batch leaves it in (replaced or matched by a later post of the same
    // batch, else open), and the offers accepted before close first: the unique index on open machines is checked
    // row by row, so a machine's offer that left the book in this batch must not be open while its successor goes in.
    const replaced = new Set(withdrawn);
    const dealOf = new Map<string, string>();
    for (const p of proposals) for (const o of [p.deal.job_offer, p.deal.resource_offer]) dealOf.set(o.id, p.deal.id);
    const states = columns.id.map((id) => (replaced.has(id!) ? "withdrawn" : dealOf.has(id!) ? "matched" : "open"));
    const deals = columns.id.map((id) => dealOf.get(id!) ?? null);
    const statements: WriteStatement[] = [];
    if (withdrawn.length > 0) {
      statements.push({
        sql: `UPDATE ${this.t("offers")} SET state = 'withdrawn', deal_id = NULL WHERE id = ANY($1::text[])`,
        params: [withdrawn],
      });
    }
    // In the posts' order (ORDER BY n), which is the order the book is restored in (seq). Before the proposals: an
    // offer the table holds already is refused by its key (isKnownOfferConflict) before anything else can refuse it.
    statements.push({
      sql:
        `INSERT INTO ${this.t("offers")}` +
        ` (id, kind, party, body, module_id, created_at, machine_id, machine_updated_at, state, deal_id)` +
        ` SELECT id, kind, party, body, module_id, created_at::int8, machine_id, machine_updated_at::int8, state,` +
        ` deal_id FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],` +
        ` $8::text[], $9::text[], $10::text[]) WITH ORDINALITY` +
        ` AS t(id, kind, party, body, module_id, created_at, machine_id, machine_updated_at, state, deal_id, n)` +
        ` ORDER BY n`,
      params: [
        columns.id,
        columns.kind,
        columns.party,
        columns.body,
        columns.module,
        columns.created,
        columns.machine,
        columns.machineAt,
        states,
        deals,
      ],
    });
    statements.push(...this.proposalStatements(proposals));
    // One request to PGlite's thread for the whole batch (writeAll), not one per statement: the batch's commit waited on
    // the solver's busy main thread between statements, five times for a batch that made proposals (bench:solver).
    await writeAll(this.driver, statements);
  }

  /** Offers that left the book (expired, withdrawn) without a deal. */
  async closeOffers(ids: readonly string[], state: "expired" | "withdrawn"): Promise<void> {
    if (ids.length === 0) return;
    await this.driver.transaction(async (tx) => {
      for (const id of ids) await this.setOfferState(tx, id, state);
    });
  }

  /**
   * A proposal dropped (not signed in time): the offers in `reopen` open again, the others withdrawn (a party that did
   * not sign does not get its offer matched again), and the proposals the book made with the reopened offers at once,
   * in one transaction. False when the proposal was no longer waiting for signatures (nothing changed).
   */
  async dropProposal(
    dealId: string,
    reopen: readonly string[],
    reason: string,
    rematched: readonly NewProposal[],
  ): Promise<boolean> {
    return this.driver.transaction(async (tx) => {
      const rows = await tx.query<{ job_offer_id: string; resource_offer_id: string }>(
        `UPDATE ${this.t("proposals")} SET state = 'dropped', reason = $2::text` +
          ` WHERE id = $1::text AND state = 'proposed' RETURNING job_offer_id, resource_offer_id`,
        [dealId, reason],
      );
      if (rows.length === 0) return false;
      for (const id of [rows[0].job_offer_id, rows[0].resource_offer_id]) {
        await this.setOfferState(tx, id, reopen.includes(id) ? "open" : "withdrawn");
      }
      await runWrites(tx, this.proposalStatements(rematched));
      return true;
    });
  }

  /**
   * One party's signature over the proposal's agreement. Returns the proposal's state after it: "signed" once both
   * are in; undefined when the proposal is not waiting for signatures.
   */
  async recordSignature(dealId: string, role: PartyRole, signature: string): Promise<ProposalState | undefined> {
    const column = SIGNATURE_COLUMN[role];
    const other = SIGNATURE_COLUMN[role === "jobCreator" ? "resourceProvider" : "jobCreator"];
    const rows = await this.driver.query<{ state: ProposalState }>(
      `UPDATE ${this.t("proposals")} SET ${column} = $2::text,` +
        ` state = CASE WHEN ${other} IS NOT NULL THEN 'signed' ELSE state END` +
        ` WHERE id = $1::text AND state = 'proposed' RETURNING state`,
      [dealId, signature],
    );
    return rows[0]?.state;
  }

  /** A proposal both parties agreed to on chain (submitted in `txHash`, or found on chain after a restart). */
  async markAgreed(dealId: string, dealKey: string, txHash: string | undefined): Promise<void> {
    await this.driver.query(
      `UPDATE ${this.t("proposals")} SET state = 'agreed', deal_key = $2::text, tx_hash = $3::text,` +
        ` chain_state = COALESCE(chain_state, 'DealAgreed') WHERE id = $1::text`,
      [dealId, dealKey, txHash ?? null],
    );
  }

  /** The market refused the agreement: the proposal failed and both offers are withdrawn, in one transaction. */
  async markFailed(dealId: string, reason: string): Promise<void> {
    await this.driver.transaction(async (tx) => {
      const rows = await tx.query<{ job_offer_id: string; resource_offer_id: string }>(
        `UPDATE ${this.t("proposals")} SET state = 'failed', reason = $2::text WHERE id = $1::text` +
          ` RETURNING job_offer_id, resource_offer_id`,
        [dealId, reason],
      );
      for (const row of rows) {
        await this.setOfferState(tx, row.job_offer_id, "withdrawn", dealId);
        await this.setOfferState(tx, row.resource_offer_id, "withdrawn", dealId);
      }
    });
  }

  /**
   * The deal's state on chain, as the indexer reports it for `dealKey`. Returns the deal ID it belongs to when this
   * solver agreed it and the state is new.
   */
  async setChainState(dealKey: string, chainState: string): Promise<string | undefined> {
    const rows = await this.driver.query<{ id: string }>(
      `UPDATE ${this.t("proposals")} SET chain_state = $2::text` +
        ` WHERE deal_key = $1::text AND chain_state IS DISTINCT FROM $2::text RETURNING id`,
      [dealKey.toLowerCase(), chainState],
    );
    return rows[0]?.id;
  }

  /** A proposal in any state (the deal container's source). */
  async proposal(dealId: string): Promise<StoredProposal | undefined> {
    const rows = await this.driver.query<ProposalRow>(
      `SELECT ${PROPOSAL_COLUMNS} FROM ${this.t("proposals")} WHERE id = $1::text`,
      [dealId],
    );
    return rows[0] ? proposalOf(rows[0]) : undefined;
  }

  /** Proposals in any state, newest first, optionally those of one party. */
  async proposals(options: { party?: string; first: number; skip: number }): Promise<StoredProposal[]> {
    const where = options.party
      ? ` WHERE job_offer_id IN (SELECT id FROM ${this.t("offers")} WHERE party = $3::text)` +
        ` OR resource_offer_id IN (SELECT id FROM ${this.t("offers")} WHERE party = $3::text)`
      : "";
    const params: SqlParam[] = [String(options.first), String(options.skip)];
    if (options.party) params.push(options.party.toLowerCase());
    const rows = await this.driver.query<ProposalRow>(
      `SELECT ${PROPOSAL_COLUMNS} FROM ${this.t("proposals")}${where}` +
        ` ORDER BY proposed_at DESC, id LIMIT $1::int OFFSET $2::int`,
      params,
    );
    return Promise.all(rows.map(proposalOf));
  }

  /** An accepted offer, whatever its state. */
  async offer(id: string): Promise<StoredOffer | undefined> {
    return (await this.offers({ id, first: 1, skip: 0 }))[0];
  }

  /** Accepted offers, newest first, filtered by ID, party or state. */
  async offers(options: {
    id?: string;
    party?: string;
    state?: OfferState;
    first: number;
    skip: number;
  }): Promise<StoredOffer[]> {
    const params: SqlParam[] = [String(options.first), String(options.skip)];
    const where: string[] = [];
    if (options.id !== undefined) where.push(`id = $${params.push(options.id)}::text`);
    if (options.party !== undefined) where.push(`party = $${params.push(options.party.toLowerCase())}::text`);
    if (options.state !== undefined) where.push(`state = $${params.push(options.state)}::text`);
    const rows = await this.driver.query<{
      id: string;
      kind: OfferKind;
      body: string;
      state: OfferState;
      deal_id: string | null;
      machine_id: string | null;
    }>(
      `SELECT id, kind, body, state, deal_id, machine_id FROM ${this.t("offers")}` +
        `${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT $1::int OFFSET $2::int`,
      params,
    );
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      body: row.body,
      state: row.state,
      dealId: row.deal_id ?? undefined,
      machineId: row.machine_id ?? undefined,
    }));
  }

  /** Proposals, and both offers of each matched to it, in two statements. */
  /** The writes of new proposals: each inserted, and its two offers marked matched by it. */
  private proposalStatements(proposals: readonly NewProposal[]): WriteStatement[] {
    if (proposals.length === 0) return [];
    return [
      {
        sql:
          `INSERT INTO ${this.t("proposals")} (id, job_offer_id, resource_offer_id, body, state, proposed_at, deadline)` +
          ` SELECT id, job_offer_id, resource_offer_id, body, 'proposed', proposed_at::int8, deadline::int8` +
          ` FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])` +
          ` AS t(id, job_offer_id, resource_offer_id, body, proposed_at, deadline)`,
        params: [
          proposals.map((p) => p.deal.id),
          proposals.map((p) => p.deal.job_offer.id),
          proposals.map((p) => p.deal.resource_offer.id),
          proposals.map((p) => encodeJson(p.deal, dealSchema)),
          proposals.map((p) => String(p.proposedAt)),
          proposals.map((p) => String(p.deadline)),
        ],
      },
      // (The offers a batch inserts are inserted matched already; this is for the other offer of each proposal.)
      {
        sql:
          `UPDATE ${this.t("offers")} AS o SET state = 'matched', deal_id = m.deal_id` +
          ` FROM unnest($1::text[], $2::text[]) AS m(offer_id, deal_id) WHERE o.id = m.offer_id`,
        params: [
          proposals.flatMap((p) => [p.deal.job_offer.id, p.deal.resource_offer.id]),
          proposals.flatMap((p) => [p.deal.id, p.deal.id]),
        ],
      },
    ];
  }

  private async setOfferState(tx: Queryable, id: string, state: OfferState, dealId?: string): Promise<void> {
    await tx.query(`UPDATE ${this.t("offers")} SET state = $2::text, deal_id = $3::text WHERE id = $1::text`, [
      id,
      state,
      dealId ?? null,
    ]);
  }
}
