// Resource offers naming their onboarded machine, on Hardhat's in-process network with a real MachineRegistry: the
// post is signed as a MachineOfferPost and refused (naming the field and the rule, nothing stored) unless the machine
// is Active, the provider's, available and holds the offer's spec in its onboarded share; one open offer per machine,
// also under concurrent posts and in the database itself; the offer leaves the book when its machine is updated, made
// unavailable or removed (MachineRegistry's events), also when that happened while the solver was down; the GraphQL
// API, the HTTP client and the agent config carry machineId; posts without one work as before.

import fs from "node:fs";
import { expect } from "chai";
import hre from "hardhat";
import pino from "pino";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { MachineRegistry__factory } from "../../typechain-types";
import { MachineRegistryClient } from "../../src/clients/machines";
import { parseAgentConfig } from "../../src/agents/config";
import { openDriver, type SqlDriver } from "../../src/indexer";
import { AccordValidationError } from "../../src/model/errors";
import { getResourceOfferId, parseResourceOffer } from "../../src/model";
import { buildMachineProfile, type MachineProfile } from "../../src/onboarding";
import {
  MACHINE_OFFER_POST_TYPES,
  machineOfferPost,
  NO_MACHINE_SOURCE,
  OFFER_POST_TYPES,
  offerPost,
  offerPostDomain,
  OfferIntakeError,
  offerWithdrawal,
  serveSolver,
  Solver,
  SolverApiClient,
  SolverState,
  trackMachinesFromChain,
  type AgreementChain,
  type MachineSource,
  type PostOutcome,
  type SolverNotice,
} from "../../src/solver";
import { freshPgliteDir } from "../indexer/helpers/stores";
import { sampleSpecs } from "../onboarding/fixtures";
import {
  CHAIN,
  jobBody,
  jobCreator,
  NOW,
  resourceBody,
  rules,
  sign,
  solver as solverAddress,
  type Json,
  refusal,
} from "./helpers";

const silent = pino({ level: "silent" });

/** 8 logical CPUs summing 24000 MHz, 16384 MB, two GPUs; 7777 MHz and 8192 MB onboarded. */
function profile(price = 10n ** 15n, cpuMhz = 7777n): MachineProfile {
  return buildMachineProfile({
    name: "box",
    specs: sampleSpecs(),
    cpu: { amount: cpuMhz },
    memory: { percent: 50n },
    pricePerMinute: price,
  });
}
// floor(8 × 1000 × 7777 / 24000) = floor(2592.33) milli-CPU; 8192 MB; 2 GPUs = 2000 milli-GPU.
const CPU_SHARE = 2592;
const RAM_SHARE = 8192;
const GPU_SHARE = 2000;
const FITS = { gpu: GPU_SHARE, cpu: CPU_SHARE, ram: RAM_SHARE };

/** The AgreementChain of a solver whose proposals are signed but never submitted (only one party signs here). */
const signingOnly = (clock: () => number): AgreementChain => ({
  verify: async () => {},
  submit: () => Promise.reject(new Error("not submitted in these tests")),
  lookup: () => Promise.resolve({ dealKey: `0x${"00".repeat(32)}`, exists: false }),
  time: () => Promise.resolve(BigInt(Math.floor(clock() / 1000))),
});

describe("solver: resource offers naming onboarded machines", function () {
  this.timeout(120_000);
  let owner: HardhatEthersSigner;
  let stranger: HardhatEthersSigner;
  let registry: MachineRegistryClient;
  let strangers: MachineRegistryClient;
  let registryAddress: string;
  let dataDir: string;
  let driver: SqlDriver;
  let clock: number;
  let salt = 0;

  const start = async (options: { machines?: MachineSource | null; chain?: AgreementChain } = {}) =>
    Solver.start({
      state: await SolverState.open(driver),
      rules,
      matchTimeoutMs: 30_000,
      now: () => clock,
      machines: options.machines === null ? undefined : (options.machines ?? registry),
      chain: options.chain,
    });
  const register = async (client = registry, available = true): Promise<string> => {
    salt += 1;
    const { machineId } = await client.register(profile(), {
      salt: `0x${salt.toString(16).padStart(64, "0")}`,
      available,
    });
    return machineId;
  };
  const body = (overrides: Json = {}): Promise<Json> =>
    resourceBody({ resource_provider: owner.address, spec: FITS, ...overrides });
  /** The OfferPost signature of a post naming no machine. */
  const signPlain = (offerId: unknown): Promise<string> =>
    owner.signTypedData(
      offerPostDomain(CHAIN),
      OFFER_POST_TYPES,
      offerPost("resource", String(offerId), solverAddress),
    );
  const signMachine = (offerId: unknown, machineId: string, by: HardhatEthersSigner = owner): Promise<string> =>
    by.signTypedData(
      offerPostDomain(CHAIN),
      MACHINE_OFFER_POST_TYPES,
      machineOfferPost(String(offerId), machineId, solverAddress),
    );
  const post = async (
    solver: Solver,
    machineId: string,
    overrides: Json = {},
  ): Promise<PostOutcome & { body: Json }> => {
    const offer = await body(overrides);
    return {
      ...(await solver.postResourceOffer(offer, await signMachine(offer.id, machineId), machineId)),
      body: offer,
    };
  };
  const stored = async () => (await SolverState.open(driver)).offers({ first: 100, skip: 0 });
  const noticesOf = (solver: Solver): SolverNotice[] => {
    const notices: SolverNotice[] = [];
    solver.on("notice", (n) => notices.push(n));
    return notices;
  };

  before(async () => {
    [owner, stranger] = await hre.ethers.getSigners();
    const deployed = await new MachineRegistry__factory(owner).deploy();
    registryAddress = await deployed.getAddress();
    registry = new MachineRegistryClient(owner, { machines: registryAddress });
    strangers = new MachineRegistryClient(stranger, { machines: registryAddress });
  });
  beforeEach(async () => {
    dataDir = await freshPgliteDir();
    driver = await openDriver({ dataDir });
    clock = NOW;
  });
  afterEach(async () => {
    await driver.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(`${dataDir}.lock`, { force: true });
  });

  it("accepts a post whose machine holds the offer, up to the onboarded share exactly", async () => {
    const solver = await start();
    const machineId = await register();
    const posted = await post(solver, machineId);
    expect(posted.status).to.equal("open");
    expect(solver.book.resourceOfferOnMachine(machineId)?.offer.id).to.equal(posted.offerId);
    const [row] = await stored();
    expect(row).to.deep.include({ id: posted.offerId, state: "open", machineId });
    // The machine ID is post metadata: the offer's ID is the data model's, computed without it.
    expect(posted.offerId).to.equal(await getResourceOfferId(parseResourceOffer(posted.body)));
  });

  describe("refuses, naming the field and the rule, and stores nothing", () => {
    type Case = [string, () => Promise<{ field: string; rule: string | RegExp; promise: Promise<unknown> }>];
    const refusedWith = (
      machineId: () => Promise<string>,
      field: string,
      rule: (id: string) => string | RegExp,
      overrides: Json = {},
    ): (() => Promise<{ field: string; rule: string | RegExp; promise: Promise<unknown> }>) => {
      return async () => {
        const id = await machineId();
        const solver = await start();
        return { field, rule: rule(id), promise: post(solver, id, overrides) };
      };
    };
    const cases: Case[] = [
      [
        "a post naming a machine on a solver that reads none",
        async () => {
          const id = await register();
          const solver = await start({ machines: null });
          return { field: "machineId", rule: NO_MACHINE_SOURCE, promise: post(solver, id) };
        },
      ],
      [
        "a machineId that is not 32 bytes of hex",
        async () => {
          const solver = await start();
          // Nothing can sign a MachineOfferPost for it: the ID is refused before the signature is looked at.
          const offer = await body();
          return {
            field: "machineId",
            rule: "must be 32 bytes in hex (0x + 64 digits)",
            promise: solver.postResourceOffer(offer, "0x", "0x1234"),
          };
        },
      ],
      [
        "a machine never registered",
        refusedWith(
          () => Promise.resolve(`0x${"ab".repeat(32)}`),
          "machineId",
          () => "must be an Active machine in MachineRegistry (it is None)",
        ),
      ],
      [
        "a removed machine",
        refusedWith(
          async () => {
            const id = await register();
            await registry.remove(id);
            return id;
          },
          "machineId",
          () => "must be an Active machine in MachineRegistry (it is Removed)",
        ),
      ],
      [
        "another provider's machine",
        refusedWith(
          () => register(strangers),
          "machineId",
          () => `must be a machine of resource_provider (its provider is ${stranger.address})`,
        ),
      ],
      [
        "an unavailable machine",
        refusedWith(
          () => register(registry, false),
          "machineId",
          () => "must be available for new jobs",
        ),
      ],
      [
        "more CPU than the onboarded share (floor of cores × 1000 × onboarded / total MHz)",
        refusedWith(
          () => register(),
          "spec.cpu",
          () => `must be at most ${CPU_SHARE} (milli-CPU, the machine's onboarded CPU share)`,
          { spec: { ...FITS, cpu: CPU_SHARE + 1 } },
        ),
      ],
      [
        "more memory than the onboarded share",
        refusedWith(
          () => register(),
          "spec.ram",
          () => `must be at most ${RAM_SHARE} (MB, the machine's onboarded memory)`,
          { spec: { ...FITS, ram: RAM_SHARE + 1 } },
        ),
      ],
      [
        "more GPU than the machine has",
        refusedWith(
          () => register(),
          "spec.gpu",
          () => `must be at most ${GPU_SHARE} (milli-GPU, the machine's GPUs)`,
          { spec: { ...FITS, gpu: GPU_SHARE + 1 } },
        ),
      ],
      [
        "an OfferPost signature with a machineId (it must be a MachineOfferPost)",
        async () => {
          const id = await register();
          const solver = await start();
          const offer = await body();
          return {
            field: "signature",
            rule: `must be signed by resource_provider (${owner.address})`,
            promise: solver.postResourceOffer(offer, await signPlain(offer.id), id),
          };
        },
      ],
      [
        "a MachineOfferPost signature for another machine",
        async () => {
          const [id, other] = [await register(), await register()];
          const solver = await start();
          const offer = await body();
          return {
            field: "signature",
            rule: `must be signed by resource_provider (${owner.address})`,
            promise: solver.postResourceOffer(offer, await signMachine(offer.id, other), id),
          };
        },
      ],
      [
        "a MachineOfferPost signature without the machineId",
        async () => {
          const id = await register();
          const solver = await start();
          const offer = await body();
          return {
            field: "signature",
            rule: `must be signed by resource_provider (${owner.address})`,
            promise: solver.postResourceOffer(offer, await signMachine(offer.id, id)),
          };
        },
      ],
    ];
    for (const [name, make] of cases) {
      it(name, async () => {
        const { field, rule, promise } = await make();
        const error = await refusal(promise);
        expect(error.field).to.equal(field);
        if (typeof rule === "string") expect(error.rule).to.equal(rule);
        else expect(error.rule).to.match(rule);
        expect(await stored()).to.deep.equal([]);
      });
    }
  });

  it("takes one open offer per machine: a second is refused until the first leaves the book", async () => {
    const solver = await start();
    const machineId = await register();
    const first = await post(solver, machineId);
    for (const overrides of [{ index: 1 }, { created_at: NOW + 1 }]) {
      const error = await refusal(post(solver, machineId, overrides));
      expect([error.field, error.rule]).to.deep.equal([
        "machineId",
        `must not be a machine with an open offer (${first.offerId})`,
      ]);
    }
    expect((await stored()).map((o) => o.id)).to.deep.equal([first.offerId]);
    // Withdrawn by its owner, the machine takes a new offer.
    await solver.withdrawOffer(
      first.offerId,
      await owner.signTypedData(
        offerPostDomain(CHAIN),
        OFFER_POST_TYPES,
        offerWithdrawal(first.offerId, solverAddress),
      ),
    );
    expect((await post(solver, machineId, { index: 1 })).status).to.equal("open");
    // A provider's new offer for the machine index, naming no machine, replaces it and frees the machine.
    const plain = await body({ index: 1, created_at: NOW + 2 });
    expect((await solver.postResourceOffer(plain, await signPlain(plain.id))).status).to.equal("open");
    expect(solver.book.resourceOfferOnMachine(machineId)).to.equal(undefined);
    expect((await post(solver, machineId, { index: 2 })).status).to.equal("open");
  });

  it("takes one of two concurrent posts for one machine, and refuses the other", async () => {
    const solver = await start();
    const machineId = await register();
    const bodies = [await body({ index: 0 }), await body({ index: 1 })];
    const signatures = await Promise.all(bodies.map((b) => signMachine(b.id, machineId)));
    const outcomes = await Promise.allSettled(
      bodies.map((b, i) => solver.postResourceOffer(b, signatures[i], machineId)),
    );
    expect(outcomes.map((o) => o.status).sort()).to.deep.equal(["fulfilled", "rejected"]);
    const refused = outcomes.find((o) => o.status === "rejected")!.reason as OfferIntakeError;
    expect(refused).to.be.instanceOf(OfferIntakeError);
    expect(refused.field).to.equal("machineId");
    const open = (await stored()).filter((o) => o.state === "open");
    expect(open.map((o) => o.machineId)).to.deep.equal([machineId]);
  });

  it("refuses a second open offer for a machine in the database itself", async () => {
    const state = await SolverState.open(driver);
    const machine = { id: `0x${"cd".repeat(32)}`, updatedAt: 1n };
    const offers = [await body({ index: 0 }), await body({ index: 1 })].map((b) => parseResourceOffer(b));
    await state.recordPost({ kind: "resource", offer: offers[0], machine });
    let failure: unknown;
    await state.recordPost({ kind: "resource", offer: offers[1], machine }).catch((error: unknown) => {
      failure = error;
    });
    expect(String((failure as Error | undefined)?.message)).to.match(/offers_machine_open/);
    // One batch may hold both when the first leaves the book within it (replaced by a later post of the batch).
    const state2 = await SolverState.open(driver, "accord_solver_batch");
    await state2.recordPosts([
      { kind: "resource", offer: offers[0], machine },
      { kind: "resource", offer: offers[1], machine, replaced: [offers[0].id] },
    ]);
    expect((await state2.offers({ first: 10, skip: 0 })).map((o) => o.state)).to.deep.equal(["open", "withdrawn"]);
  });

  describe("withdraws the open offer when its machine changes on chain", () => {
    const changes: [string, (id: string) => Promise<unknown>, (id: string, updatedAt: bigint) => string][] = [
      [
        "updated",
        (id) => registry.update(id, profile(7n)),
        (id, at) => `machine ${id} changed on chain since the offer was accepted (its record updated at ${at})`,
      ],
      [
        "made unavailable",
        (id) => registry.setAvailability(id, false),
        (id) => `machine ${id} changed on chain: the offer's machineId must be available for new jobs`,
      ],
      [
        "removed",
        (id) => registry.remove(id),
        (id) =>
          `machine ${id} changed on chain: the offer's machineId must be an Active machine in MachineRegistry (it is Removed)`,
      ],
    ];
    for (const [name, change, reason] of changes) {
      it(name, async () => {
        const solver = await start();
        const machineId = await register();
        const fromBlock = await hre.ethers.provider.getBlockNumber();
        await registry.setAvailability(machineId, false);
        await registry.setAvailability(machineId, true);
        const feed = trackMachinesFromChain(solver, hre.ethers.provider, registryAddress, silent, {
          fromBlock,
          intervalMs: 0,
        });
        try {
          const { offerId } = await post(solver, machineId);
          // The feed reads the changes made before the offer was accepted: re-read, the machine still holds it.
          await feed.poll();
          expect(solver.book.hasResourceOffer(offerId)).to.equal(true);
          const notices = noticesOf(solver);
          await change(machineId);
          await feed.poll();
          const { updatedAt } = await registry.getMachine(machineId);
          expect(notices.map((n) => [n.kind, "reason" in n ? n.reason : undefined])).to.deep.equal([
            ["withdrawn", reason(machineId, updatedAt)],
          ]);
          expect(solver.book.hasResourceOffer(offerId)).to.equal(false);
          expect(solver.book.resourceOfferOnMachine(machineId)).to.equal(undefined);
          expect((await stored()).find((o) => o.id === offerId)?.state).to.equal("withdrawn");
          // Polled again, the same events change nothing more.
          await feed.poll();
          expect(notices).to.have.length(1);
        } finally {
          feed.close();
        }
      });
    }
  });

  it("restores machine offers on restart, and withdraws those whose machine changed while it was down", async () => {
    const first = await start();
    const [kept, unavailable, updated] = [await register(), await register(), await register()];
    const offers = {
      kept: (await post(first, kept, { index: 0 })).offerId,
      unavailable: (await post(first, unavailable, { index: 1 })).offerId,
      updated: (await post(first, updated, { index: 2 })).offerId,
    };
    await first.close();
    await registry.setAvailability(unavailable, false);
    await registry.update(updated, profile(7n)); // still holds the offer, but changed

    const restarted = await start();
    expect(restarted.book.resourceOfferOnMachine(kept)?.offer.id).to.equal(offers.kept);
    expect([...restarted.book.resourceOfferIds()]).to.deep.equal([offers.kept]);
    const byId = new Map((await stored()).map((o) => [o.id, o]));
    expect(byId.get(offers.kept)).to.deep.include({ state: "open", machineId: kept });
    expect(byId.get(offers.unavailable)).to.deep.include({ state: "withdrawn", machineId: unavailable });
    expect(byId.get(offers.updated)).to.deep.include({ state: "withdrawn", machineId: updated });
    // The restored machine is still taken.
    expect((await refusal(post(restarted, kept, { index: 3 }))).field).to.equal("machineId");

    // Restarted without a MachineSource, it cannot follow the machine: the offer leaves the book.
    const blind = await start({ machines: null });
    expect(blind.book.resourceOffers).to.equal(0);
    expect((await stored()).find((o) => o.id === offers.kept)?.state).to.equal("withdrawn");
  });

  it("returns a machine offer to the book after a dropped proposal only while its machine holds it", async () => {
    const solver = await start({ chain: signingOnly(() => clock) });
    const [same, changed] = [await register(), await register()];
    const dropAfterProviderSigns = async (machineId: string, index: number, createdAt = NOW) => {
      const { offerId } = await post(solver, machineId, { index, created_at: createdAt });
      const job = await jobBody({ spec: { gpu: 0, cpu: 1000, ram: 512 }, inputs: { prompt: `m${index}` } });
      const proposed = (await solver.postJobOffer(job, await sign(jobCreator, "job", job.id))) as Extract<
        PostOutcome,
        { status: "proposed" }
      >;
      expect(proposed.deal.resource_offer.id).to.equal(offerId);
      await solver.signProposal(proposed.deal.id, owner.address, "0x");
      return { offerId, dealId: proposed.deal.id };
    };
    const a = await dropAfterProviderSigns(same, 0);
    await solver.dropProposal(a.dealId, "not signed in time");
    expect(solver.book.resourceOfferOnMachine(same)?.offer.id).to.equal(a.offerId);

    // Older than the offer back in the book, so the next job takes this one.
    const b = await dropAfterProviderSigns(changed, 1, NOW - 1);
    await registry.setAvailability(changed, false);
    await solver.dropProposal(b.dealId, "not signed in time");
    expect(solver.book.hasResourceOffer(b.offerId)).to.equal(false);
    expect((await stored()).find((o) => o.id === b.offerId)?.state).to.equal("withdrawn");
  });

  it("still takes OfferPost posts naming no machine, with or without a MachineSource", async () => {
    for (const machines of [undefined, null] as const) {
      const solver = await start({ machines });
      const offer = await body({ created_at: NOW + (machines === null ? 1 : 0) });
      const signature = await signPlain(offer.id);
      expect((await solver.postResourceOffer(offer, signature)).status).to.equal("open");
      expect((await solver.postResourceOffer(offer, signature, null)).status).to.equal("duplicate");
    }
    expect((await stored()).map((o) => o.machineId)).to.deep.equal([undefined, undefined]);
  });

  it("shows machineId in GraphQL, posted through the client's MachineOfferPost or the mutation", async () => {
    const state = await SolverState.open(driver);
    const solver = await Solver.start({ state, rules, matchTimeoutMs: 30_000, now: () => clock, machines: registry });
    const server = await serveSolver({ solver, state, rules, port: 0, logger: silent });
    const client = new SolverApiClient(server.url, owner, { solver: solverAddress, chainId: CHAIN });
    try {
      const machineId = await register();
      const withMachine = parseResourceOffer(await body({ index: 0 }));
      expect(await client.postResourceOffer(withMachine, { machineId })).to.deep.equal({
        status: "open",
        offerId: withMachine.id,
      });
      const plain = parseResourceOffer(await body({ index: 1 }));
      expect((await client.postResourceOffer(plain)).status).to.equal("open");
      const { offers } = await client.graphql.request<{ offers: { id: string; machineId: string | null }[] }>(
        `{ offers { id machineId } }`,
      );
      expect(offers).to.deep.equal([
        { id: plain.id, machineId: null },
        { id: withMachine.id, machineId },
      ]);

      // A refused post is BAD_OFFER naming the field and the rule.
      const again = await body({ index: 2 });
      const response = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: `mutation ($offer: String!, $signature: String!, $machineId: String) {
            postResourceOffer(offer: $offer, signature: $signature, machineId: $machineId) { status }
          }`,
          variables: { offer: JSON.stringify(again), signature: await signMachine(again.id, machineId), machineId },
        }),
      });
      const answer = (await response.json()) as { errors: { extensions: Record<string, unknown> }[] };
      expect(answer.errors[0].extensions).to.deep.include({
        code: "BAD_OFFER",
        field: "machineId",
        rule: `must not be a machine with an open offer (${withMachine.id})`,
      });
    } finally {
      client.close();
      await server.close();
      await solver.close();
    }
  });

  it("reads machine_id per machine from an agent's config", () => {
    const base = (extra: Json) => ({
      machines: [
        {
          index: 0,
          spec: FITS,
          pricing: { instruction_price: 1, payment_collateral: 1, results_collateral_multiple: 1, mediation_fee: 1 },
          timeouts: Object.fromEntries(
            ["agree", "submit_results", "judge_results", "mediate_results"].map((k) => [
              k,
              { timeout: 1, collateral: 1 },
            ]),
          ),
          ...extra,
        },
      ],
    });
    const id = `0x${"AB".repeat(32)}`;
    expect(parseAgentConfig("resource-provider", base({ machine_id: id })).machines[0].machineId).to.equal(
      id.toLowerCase(),
    );
    expect(parseAgentConfig("resource-provider", base({})).machines[0].machineId).to.equal(undefined);
    try {
      parseAgentConfig("resource-provider", base({ machine_id: "0x12" }));
      expect.fail("the config was taken");
    } catch (error) {
      expect(error).to.be.instanceOf(AccordValidationError);
      expect((error as AccordValidationError).field).to.equal("machines[0].machine_id");
    }
  });
});
