// Market activity for a development network: deals driven through every path (happy, two-step, mediation
// both ways, every timeout), so the indexer and the API have live data (`accord dev`) and the indexer
// benchmark has real events. It calls the contracts directly and uses time travel for timeouts, so it is
// for Hardhat networks only.
import { MaxUint256, id as keccakId, type Signer } from "ethers";
import type { AccordToken, DealMarket } from "../../typechain-types";
import { DEAL_AGREEMENT_TYPES, dealMarketDomain, type OnChainDealTerms } from "../clients/terms";

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

const TOKEN = 10n ** 18n;
/** Seconds every step may take; timeouts travel just past it. */
const STEP_TIMEOUT = 60n;
const INSTRUCTIONS = 1_000_000n;

export class MarketActivity {
  private dealCounter = 0;
  private readonly seed = keccakId(`${Date.now()}-${Math.random()}`);

  constructor(
    private readonly market: DealMarket,
    private readonly token: AccordToken,
    private readonly parties: ActivityParties,
    private readonly rpc: DevRpc,
  ) {}

  /** Gives every job creator and provider tokens and an unlimited allowance for the market. */
  async fund(amountEach = 1_000_000n * TOKEN): Promise<void> {
    const market = await this.market.getAddress();
    for (const party of [...this.parties.jobCreators, ...this.parties.resourceProviders]) {
      await (await this.token.connect(this.parties.funder).transfer(await party.getAddress(), amountEach)).wait();
      await (await this.token.connect(party).approve(market, MaxUint256)).wait();
    }
  }

  /** Runs one deal through `path` to its final state; returns its deal ID (bytes32). */
  async runDeal(path: DealPath): Promise<string> {
    const n = this.dealCounter++;
    const jobCreator = pick(this.parties.jobCreators, n);
    const provider = pick(this.parties.resourceProviders, n);
    const terms = await this.terms(jobCreator, provider, n);
    const dealId = keccakId(`${this.seed}-${n}`);
    const as = (signer: Signer) => this.market.connect(signer);
    const send = async (tx: Promise<{ wait(): Promise<unknown> }>) => {
      await (await tx).wait();
    };

    if (path === "happyTwoStep" || path === "timeoutAgree") {
      await send(as(jobCreator).agree(dealId, terms));
      if (path === "timeoutAgree") {
        await this.travel(terms.timeouts.agree);
        await send(as(jobCreator).timeoutAgree(dealId, terms));
        return dealId;
      }
      await send(as(provider).agree(dealId, terms));
    } else {
      await this.agreeWithSignatures(dealId, terms, jobCreator, provider);
    }
    if (path === "timeoutSubmitResults") {
      await this.travel(terms.timeouts.submitResults);
      await send(as(jobCreator).timeoutSubmitResults(dealId, terms));
      return dealId;
    }
    await send(as(provider).addResult(dealId, terms, keccakId(`results-${dealId}`), INSTRUCTIONS));
    if (path === "happy" || path === "happyTwoStep") {
      await send(as(jobCreator).acceptResult(dealId, terms, INSTRUCTIONS));
      return dealId;
    }
    if (path === "timeoutJudgeResults") {
      await this.travel(terms.timeouts.judgeResults);
      await send(as(provider).timeoutJudgeResults(dealId, terms, INSTRUCTIONS));
      return dealId;
    }
    const checked = await (await as(jobCreator).checkResult(dealId, terms, INSTRUCTIONS)).wait();
    const requested = checked!.logs
      .map((log) => this.market.interface.parseLog(log))
      .find((event) => event?.name === "MediationRequested");
    const mediatorIndex = Number(requested!.args.mediatorIndex);
    const mediator = await this.mediatorSigner(terms.members.mediators[mediatorIndex]);
    if (path === "mediationAccept") {
      await send(as(mediator).mediationAcceptResult(dealId, terms, INSTRUCTIONS, mediatorIndex));
    } else if (path === "mediationReject") {
      await send(as(mediator).mediationRejectResult(dealId, terms, INSTRUCTIONS, mediatorIndex));
    } else {
      await this.travel(terms.timeouts.mediateResults);
      await send(as(provider).timeoutMediateResults(dealId, terms, INSTRUCTIONS, mediatorIndex));
    }
    return dealId;
  }

  /** Runs deals round-robin over every path until `signal` aborts, pausing `intervalMs` between deals. */
  async runForever(options: {
    intervalMs: number;
    signal: AbortSignal;
    onDeal?: (path: DealPath, dealId: string) => void;
    onError?: (error: unknown) => void;
  }): Promise<void> {
    for (let i = 0; !options.signal.aborted; i++) {
      const path = DEAL_PATHS[i % DEAL_PATHS.length];
      try {
        options.onDeal?.(path, await this.runDeal(path));
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
