// Market activity for a development network: the demo's services registered in the ServiceRegistry, and deals
// driven through every path (happy, two-step, mediation both ways, every timeout), so the indexer and the API
// have live data (`accord dev`) and the indexer benchmark has real events. It calls the contracts directly and
// uses time travel for timeouts, so it is for Hardhat networks only.
import { MaxUint256, id as keccakId, toUtf8Bytes, type Signer } from "ethers";
import type { AccordToken, DealMarket, ServiceRegistry } from "../../typechain-types";
import { decodeAccordLogs, drawnMediatorOf, eventsNamed } from "../clients/events";
import { metadataToBytes32, rolesToBitmap } from "../clients/registry";
import { DEAL_AGREEMENT_TYPES, dealKeyOfTerms, dealMarketDomain, type OnChainDealTerms } from "../clients/terms";
import { bytes32ToCid, cidOfBlock, encodeDagPbBlock, type ServiceTypeName } from "../model";

export const DEAL_PATHS = [
  "happy",
  "happyTwoStep",
  "mediationAccept",
  "mediationReject",
  "timeoutAgree",
  "timeoutSubmitResults",
  "timeoutJudgeResults",
  "timeoutMediateResults",
] as const;
export type DealPath = (typeof DEAL_PATHS)[number];

/** A JSON-RPC requester for the dev-only methods (evm_increaseTime, evm_mine). */
export type DevRpc = { send(method: string, params: unknown[]): Promise<unknown> };

export type ActivityParties = {
  /** Holds tokens to fund the others. */
  funder: Signer;
  jobCreators: Signer[];
  resourceProviders: Signer[];
  solver: Signer;
  mediators: Signer[];
};

/** A deal the demo finished: its ID (bytes32 and CID) and the key the market keeps it under. */
export type DemoDeal = { path: DealPath; dealId: string; dealCid: string; dealKey: string };

/** A service the demo registered. */
export type DemoService = { account: string; roles: ServiceTypeName[]; metadataCid: string; url: string };

const TOKEN = 10n ** 18n;
/** Seconds every step may take; timeouts travel just past it. */
const STEP_TIMEOUT = 60n;
const INSTRUCTIONS = 1_000_000n;

export class MarketActivity {
  private dealCounter = 0;
  private readonly seed = keccakId(`${Date.now()}-${Math.random()}`);

  private registered: Promise<DemoService[]> | undefined;

  /**
   * `registry`: where the demo's accounts announce themselves (`register`); without it they are not
   * registered.
   */
  constructor(
    private readonly market: DealMarket,
    private readonly token: AccordToken,
    private readonly parties: ActivityParties,
    private readonly rpc: DevRpc,
    private readonly registry?: ServiceRegistry,
  ) {}

  /** Everything before the first deal: funds the parties and registers their services (if a registry was given). */
  async setup(): Promise<DemoService[]> {
    await this.fund();
    return this.register();
  }

  /** Gives every job creator and provider tokens and an unlimited allowance for the market. */
  async fund(amountEach = 1_000_000n * TOKEN): Promise<void> {
    const market = await this.market.getAddress();
    for (const party of [...this.parties.jobCreators, ...this.parties.resourceProviders]) {
      await (await this.token.connect(this.parties.funder).transfer(await party.getAddress(), amountEach)).wait();
      await (await this.token.connect(party).approve(market, MaxUint256)).wait();
    }
  }

  /**
   * Registers the solver, the mediators, the resource providers and the job creators in the ServiceRegistry
   * with their roles (an account in several lists gets every role), a metadata document's CID and a URL.
   * Once per activity (later calls return the first's entries); nothing without a registry.
   */
  register(): Promise<DemoService[]> {
    this.registered ??= this.registerServices().catch((error: unknown) => {
      this.registered = undefined; // a later call tries again
      throw error;
    });
    return this.registered;
  }

  private async registerServices(): Promise<DemoService[]> {
    const registry = this.registry;
    if (!registry) return [];
    const { solver, mediators, resourceProviders, jobCreators } = this.parties;
    const byAccount = new Map<string, { signer: Signer; roles: ServiceTypeName[]; name: string }>();
    const add = async (signers: Signer[], role: ServiceTypeName, slug: string) => {
      for (const [i, signer] of signers.entries()) {
        const account = await signer.getAddress();
        const entry = byAccount.get(account) ?? { signer, roles: [], name: `${slug}-${i}` };
        if (!entry.roles.includes(role)) entry.roles.push(role);
        byAccount.set(account, entry);
      }
    };
    await add([solver], "Solver", "solver");
    await add(mediators, "Mediator", "mediator");
    await add(resourceProviders, "ResourceProvider", "provider");
    await add(jobCreators, "JobCreator", "job-creator");
    const services: DemoService[] = [];
    for (const [account, { signer, roles, name }] of byAccount) {
      const url = `http://${name}.demo.accord.localhost`;
      const metadata = JSON.stringify({ name: `Accord demo ${name}`, roles, url });
      const metadataCid = await cidOfBlock(await encodeDagPbBlock(toUtf8Bytes(metadata)));
      await (await registry.connect(signer).register(rolesToBitmap(roles), metadataToBytes32(metadataCid), url)).wait();
      services.push({ account, roles, metadataCid, url });
    }
    return services;
  }

  /** Runs one deal through `path` to its final state. */
  async runDeal(path: DealPath): Promise<DemoDeal> {
    const n = this.dealCounter++;
    const jobCreator = pick(this.parties.jobCreators, n);
    const provider = pick(this.parties.resourceProviders, n);
    const terms = await this.terms(jobCreator, provider, n);
    const dealId = keccakId(`${this.seed}-${n}`);
    const done: DemoDeal = { path, dealId, dealCid: bytes32ToCid(dealId), dealKey: dealKeyOfTerms(dealId, terms) };
    const as = (signer: Signer) => this.market.connect(signer);
    const send = async (tx: Promise<{ wait(): Promise<unknown> }>) => {
      await (await tx).wait();
    };

    if (path === "happyTwoStep" || path === "timeoutAgree") {
      await send(as(jobCreator).agree(dealId, terms));
      if (path === "timeoutAgree") {
        await this.travel(terms.timeouts.agree);
        await send(as(jobCreator).timeoutAgree(dealId, terms));
        return done;
      }
      await send(as(provider).agree(dealId, terms));
    } else {
      await this.agreeWithSignatures(dealId, terms, jobCreator, provider);
    }
    if (path === "timeoutSubmitResults") {
      await this.travel(terms.timeouts.submitResults);
      await send(as(jobCreator).timeoutSubmitResults(dealId, terms));
      return done;
    }
    await send(as(provider).addResult(dealId, terms, keccakId(`results-${dealId}`), INSTRUCTIONS));
    if (path === "happy" || path === "happyTwoStep") {
      await send(as(jobCreator).acceptResult(dealId, terms, INSTRUCTIONS));
      return done;
    }
    if (path === "timeoutJudgeResults") {
      await this.travel(terms.timeouts.judgeResults);
      await send(as(provider).timeoutJudgeResults(dealId, terms, INSTRUCTIONS));
      return done;
    }
    const checked = await (await as(jobCreator).checkResult(dealId, terms, INSTRUCTIONS)).wait();
    // The mediator is drawn from the hash of checkResult's block: known off chain now that the block exists.
    // Its decision is the next transaction, so it lands in a later block (automine: one block per transaction),
    // where the chain can read that hash too.
    const events = decodeAccordLogs(checked!.logs, { market: await this.market.getAddress() });
    const request = eventsNamed(events, "MediationRequested").find((event) => event.args.dealKey === done.dealKey);
    if (!request) throw new Error(`checkResult of ${done.dealCid} logged no MediationRequested`);
    const mediator = await this.mediatorSigner(drawnMediatorOf(request, terms).mediator);
    if (path === "mediationAccept") {
      await send(as(mediator).mediationAcceptResult(dealId, terms, INSTRUCTIONS));
    } else if (path === "mediationReject") {
      await send(as(mediator).mediationRejectResult(dealId, terms, INSTRUCTIONS));
    } else {
      await this.travel(terms.timeouts.mediateResults);
      await send(as(provider).timeoutMediateResults(dealId, terms, INSTRUCTIONS));
    }
    return done;
  }

  /**
   * Registers the services (once, if not done yet), then runs deals round-robin over every path until `signal`
   * aborts, pausing `intervalMs` between deals. `onDeal` gets each finished deal's path, its deal ID as a CID
   * (what people see) and its key.
   */
  async runForever(options: {
    intervalMs: number;
    signal: AbortSignal;
    onDeal?: (path: DealPath, dealCid: string, dealKey: string) => void;
    onError?: (error: unknown) => void;
  }): Promise<void> {
    try {
      await this.register();
    } catch (error) {
      options.onError?.(error);
    }
    for (let i = 0; !options.signal.aborted; i++) {
      const path = DEAL_PATHS[i % DEAL_PATHS.length];
      try {
        const deal = await this.runDeal(path);
        options.onDeal?.(path, deal.dealCid, deal.dealKey);
      } catch (error) {
        if (options.signal.aborted) return;
        options.onError?.(error);
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    }
  }

  private async agreeWithSignatures(dealId: string, terms: OnChainDealTerms, jobCreator: Signer, provider: Signer) {
    const { chainId } = await this.market.runner!.provider!.getNetwork();
    const domain = dealMarketDomain(chainId, await this.market.getAddress());
    const latest = await this.market.runner!.provider!.getBlock("latest");
    const deadline = BigInt(latest!.timestamp) + 3600n;
    const value = { dealId, terms, deadline };
    const [jobCreatorSignature, providerSignature] = await Promise.all([
      jobCreator.signTypedData(domain, DEAL_AGREEMENT_TYPES, value),
      provider.signTypedData(domain, DEAL_AGREEMENT_TYPES, value),
    ]);
    await (
      await this.market
        .connect(this.parties.solver)
        .agreeWithSignatures(dealId, terms, deadline, jobCreatorSignature, providerSignature)
    ).wait();
  }

  private async terms(jobCreator: Signer, provider: Signer, n: number): Promise<OnChainDealTerms> {
    const mediators = await Promise.all(this.parties.mediators.map((m) => m.getAddress()));
    return {
      members: {
        jobCreator: (await jobCreator.getAddress()) as `0x${string}`,
        resourceProvider: (await provider.getAddress()) as `0x${string}`,
        solver: (await this.parties.solver.getAddress()) as `0x${string}`,
        mediators: mediators as `0x${string}`[],
      },
      pricing: {
        instructionPrice: 10n ** 12n + BigInt(n % 7) * 10n ** 11n,
        paymentCollateral: 5n * TOKEN,
        resultsCollateralMultiple: 2n,
        mediationFee: TOKEN / 2n,
      },
      timeouts: {
        agree: STEP_TIMEOUT,
        submitResults: STEP_TIMEOUT,
        judgeResults: STEP_TIMEOUT,
        mediateResults: STEP_TIMEOUT,
        agreeCollateral: 0n,
        submitResultsCollateral: TOKEN,
        judgeResultsCollateral: TOKEN,
        mediateResultsCollateral: 0n,
      },
    };
  }

  private async mediatorSigner(address: string): Promise<Signer> {
    for (const mediator of this.parties.mediators) {
      if ((await mediator.getAddress()).toLowerCase() === address.toLowerCase()) return mediator;
    }
    throw new Error(`no signer for mediator ${address}`);
  }

  private async travel(seconds: bigint): Promise<void> {
    await this.rpc.send("evm_increaseTime", [Number(seconds) + 1]);
    await this.rpc.send("evm_mine", []);
  }
}

function pick<T>(items: T[], n: number): T {
  return items[n % items.length];
}
