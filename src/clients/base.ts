// What every role's client shares: the contracts, sending a transaction and returning its decoded events,
// decoding reverts into AccordContractError, token allowances, and reading deals and their history.

import {
  getAddress,
  MaxUint256,
  Signature,
  type ContractTransactionResponse,
  type Overrides,
  type Provider,
  type Signer,
  type TransactionReceipt,
} from "ethers";
import {
  AccordToken__factory,
  DealMarket__factory,
  ServiceRegistry__factory,
  type AccordToken,
  type DealMarket,
  type ServiceRegistry,
} from "../../typechain-types";
import { BLOCKHASH_WINDOW } from "../model/deal-key";
import { loadDeployment, verifyDeployment, type AccordDeployment, type DeploymentPathOptions } from "../deployments";
import {
  AccordError,
  AgreementState,
  getAgreementStateString,
  mediatorDrawIndex,
  type AgreementStateName,
  type ConvertAmountOptions,
} from "../model";
import { AccordValidationError } from "../model/errors";
import { decodeContractError, type AccordContractError } from "./errors";
import {
  AccordTxResult,
  dealTermsOf,
  decodeAccordLogs,
  eventsNamed,
  type AccordLog,
  type AccordLogOf,
  type DrawnMediator,
} from "./events";
import {
  dealKeyOf,
  resolveDeal,
  toDealIdBytes32,
  type DealKeyRef,
  type DealRef,
  type OnChainDealTerms,
  type ResolvedDeal,
} from "./terms";

/**
 * How a client makes sure the market may pull the collateral an action escrows:
 * "exact": approve the amount the action needs when the allowance is short (the default);
 * "unlimited": approve 2^256 - 1 when short; "permit": sign an EIP-2612 permit for the amount instead of
 * approving (submitted by the client, or handed to the solver with a signed agreement); "none": leave it.
 */
export type AllowanceMode = "exact" | "unlimited" | "permit" | "none";

export type AccordClientOptions = ConvertAmountOptions & {
  /** DealMarket address (every role but the registry needs it). */
  market?: string;
  /** ServiceRegistry address (RegistryClient). */
  registry?: string;
  /** The market's token; read from `market.token()` when absent. */
  token?: string;
  /** First block of event scans (the deployment block); default 0. */
  fromBlock?: number;
  /** Confirmations each transaction waits for; default 1. */
  confirmations?: number;
  /** Default AllowanceMode; "exact". */
  allowance?: AllowanceMode;
  /** Default life of a signed agreement or permit, in seconds from the latest block; 3600. */
  signatureValidity?: number;
};

export type FromDeploymentOptions = Omit<AccordClientOptions, "market" | "registry" | "token"> &
  DeploymentPathOptions & {
    /** Also check that the contracts have code. Default false. */
    checkCode?: boolean;
  };

/**
 * The deployment a client's `fromDeployment` is given, loaded (a network name or file path) or checked (an object)
 * against the signer's chain, and the client options left once the loading ones are taken out.
 */
export async function loadClientDeployment<O extends DeploymentPathOptions & { checkCode?: boolean }>(
  signer: Signer,
  deployment: AccordDeployment | string,
  options: O,
): Promise<{ loaded: AccordDeployment; clientOptions: Omit<O, "dir" | "checkCode"> }> {
  if (!signer.provider) throw new AccordClientError("NO_PROVIDER", "the signer is not connected to a provider");
  const { dir, checkCode, ...clientOptions } = options;
  const loaded =
    typeof deployment === "string"
      ? await loadDeployment(deployment, { dir, provider: signer.provider, checkCode })
      : deployment;
  if (typeof deployment !== "string") await verifyDeployment(loaded, signer.provider, { checkCode });
  return { loaded, clientOptions };
}

/** A client-side failure (not a revert): the signer is not the deal's party, an event is missing, … */
export class AccordClientError extends AccordError {
  override name = "AccordClientError";
  readonly code: "NOT_A_PARTY" | "NO_PROVIDER" | "NOT_CONFIGURED" | "NOT_FOUND" | "BAD_SIGNATURE" | "INVALID_ARGUMENT";

  constructor(code: AccordClientError["code"], message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}

/** An EIP-2612 permit signature (anyone can submit it with `token.permit`). */
export type PermitSignature = {
  token: string;
  owner: string;
  spender: string;
  value: bigint;
  nonce: bigint;
  deadline: bigint;
  v: number;
  r: string;
  s: string;
  signature: string;
};

/** A deal's stored slot, decoded. */
export type DealRecordView = {
  /** The key it is stored under. */
  dealKey: string;
  /** False when the market has never seen the deal (then every other field is zero). */
  exists: boolean;
  state: AgreementState;
  stateName: AgreementStateName;
  agreedBy: { jobCreator: boolean; resourceProvider: boolean };
  /** When the current state began (unix seconds); every deadline counts from it. */
  updatedAt: bigint;
  commitment: string;
};

/** The ResultAdded event of a deal (`args`: dealKey, resultsId, instructionCount). */
export type DealResult = AccordLogOf<"ResultAdded">;

/** The MediationRequested event of a deal (`args`: dealKey, drawBlock; its `blockHash` draws the mediator). */
export type DealMediation = AccordLogOf<"MediationRequested">;

/** The market's mediator draw of a deal, decoded. */
export type MediationDrawView = {
  dealKey: string;
  /** False when the deal has no draw (it is not under mediation); then every other field is zero. */
  exists: boolean;
  /** The block whose hash draws the mediator (checkResult's, or a redraw's). */
  drawBlock: number;
  /** True once fixed on chain (`drawMediator`). */
  drawn: boolean;
  /** The fixed mediator index; meaningful only when `drawn`. */
  mediatorIndex: number;
};

/** A deal's drawn mediator, worked out off chain (`computeDrawnMediator`). */
export type MediatorDraw = DrawnMediator & {
  dealKey: string;
  drawBlock: number;
  drawBlockHash: string;
  /** Fixed on chain with drawMediator (then it outlives the 256 blocks of kept hashes). */
  fixed: boolean;
  /**
   * Unfixed and its block older than 256 blocks: the decisions revert DealMarket_DrawExpired and
   * `drawMediator` draws again from a new block (maybe another mediator).
   */
  expired: boolean;
};

/** Which timeout governs a state, and when it runs out. */
export type DealDeadline = {
  state: AgreementState;
  stateName: AgreementStateName;
  /** The step's last allowed second (updatedAt + timeout); null in a final state. */
  deadline: bigint | null;
  /** The timeout behind it ("agree", "submitResults", "judgeResults", "mediateResults"), null if none. */
  timeout: "agree" | "submitResults" | "judgeResults" | "mediateResults" | null;
  /** True when the latest block is past the deadline: the timeout can be claimed. */
  passed: boolean;
};

type ClientConstructor<T> = new (signer: Signer, options: AccordClientOptions) => T;

export class AccordClient {
  readonly signer: Signer;
  readonly provider: Provider;
  readonly options: Readonly<AccordClientOptions>;
  readonly fromBlock: number;
  readonly confirmations: number;
  readonly allowanceMode: AllowanceMode;

  #market: DealMarket | undefined;
  #registry: ServiceRegistry | undefined;
  #token: Promise<AccordToken> | undefined;
  #tokenAddress: string | undefined;
  #address: Promise<string> | undefined;
  #chainId: Promise<bigint> | undefined;
  #sentBefore = false;

  constructor(signer: Signer, options: AccordClientOptions = {}) {
    if (!signer.provider) throw new AccordClientError("NO_PROVIDER", "the signer is not connected to a provider");
    this.signer = signer;
    this.provider = signer.provider;
    this.options = { ...options };
    this.fromBlock = options.fromBlock ?? 0;
    this.confirmations = options.confirmations ?? 1;
    this.allowanceMode = options.allowance ?? "exact";
    if (options.market) this.#market = DealMarket__factory.connect(options.market, signer);
    if (options.registry) this.#registry = ServiceRegistry__factory.connect(options.registry, signer);
    if (options.token) {
      this.#tokenAddress = options.token;
      this.#token = Promise.resolve(AccordToken__factory.connect(options.token, signer));
    }
  }

  /**
   * A client on the contracts of a deployment: a deployment object, or a network name / file path
   * (`deployments/<network>.json`). The deployment's chain id is checked against the signer's provider.
   * Event scans start at the DealMarket's deployment block.
   */
  static async fromDeployment<T extends AccordClient>(
    this: ClientConstructor<T>,
    signer: Signer,
    deployment: AccordDeployment | string,
    options: FromDeploymentOptions = {},
  ): Promise<T> {
    const { loaded, clientOptions } = await loadClientDeployment(signer, deployment, options);
    const { AccordToken, DealMarket, ServiceRegistry } = loaded.contracts;
    return new this(signer, {
      fromBlock: Math.min(DealMarket.blockNumber, ServiceRegistry.blockNumber),
      ...clientOptions,
      market: DealMarket.address,
      registry: ServiceRegistry.address,
      token: AccordToken.address,
    });
  }

  /*//////////////////////////////////////////////////////////////
                               CONTRACTS
  //////////////////////////////////////////////////////////////*/

  get market(): DealMarket {
    if (!this.#market) throw new AccordClientError("NOT_CONFIGURED", "no DealMarket address was given to this client");
    return this.#market;
  }

  get registry(): ServiceRegistry {
    if (!this.#registry) {
      throw new AccordClientError("NOT_CONFIGURED", "no ServiceRegistry address was given to this client");
    }
    return this.#registry;
  }

  /** The market's payment token (from the options, else `market.token()`). */
  getToken(): Promise<AccordToken> {
    this.#token ??= this.read("token", () => this.market.token()).then((address) => {
      this.#tokenAddress = address;
      return AccordToken__factory.connect(address, this.signer);
    });
    return this.#token;
  }

  /** The signer's address (checksummed). */
  getAddress(): Promise<string> {
    this.#address ??= this.signer.getAddress();
    return this.#address;
  }

  getChainId(): Promise<bigint> {
    this.#chainId ??= this.provider.getNetwork().then((network) => network.chainId);
    return this.#chainId;
  }

  /** The latest block's timestamp: the chain's "now", which deadlines are compared with. */
  async latestTimestamp(): Promise<bigint> {
    const block = await this.provider.getBlock("latest");
    if (!block) throw new AccordClientError("NOT_FOUND", "the provider returned no latest block");
    return BigInt(block.timestamp);
  }

  /** Decodes the Accord events among a receipt's logs. */
  decodeLogs(logs: TransactionReceipt["logs"]): AccordLog[] {
    return decodeAccordLogs(logs, this.#addresses());
  }

  #addresses(): { market?: string; registry?: string; token?: string } {
    return { market: this.options.market, registry: this.options.registry, token: this.#tokenAddress };
  }

  /*//////////////////////////////////////////////////////////////
                         TRANSACTIONS AND CALLS
  //////////////////////////////////////////////////////////////*/

  /**
   * Sends a transaction, waits for its receipt and decodes its events. A revert (in gas estimation or
   * on chain) becomes an AccordContractError; other failures are rethrown as they are.
   */
  protected async send(
    action: string,
    submit: (overrides: Overrides) => Promise<ContractTransactionResponse>,
  ): Promise<AccordTxResult> {
    let response: ContractTransactionResponse;
    try {
      response = await submit(await this.#nonceOverrides());
    } catch (error) {
      throw decodeContractError(error, { action }) ?? error;
    }
    this.#sentBefore = true;
    let receipt: TransactionReceipt | null;
    try {
      receipt = await response.wait(this.confirmations);
    } catch (error) {
      throw (await this.#explainMinedRevert(action, response, error)) ?? error;
    }
    if (!receipt) throw new AccordClientError("NOT_FOUND", `${action}: transaction ${response.hash} was not mined`);
    return new AccordTxResult(receipt, this.decodeLogs(receipt.logs));
  }

  /**
   * The nonce of the next transaction, once this client has sent one, read from the node uncached.
   * ethers' providers cache getTransactionCount for 250 ms, so against an automining node (`npx hardhat
   * node`) a transaction sent right after another from the same wallet (approve, then agree) would
   * otherwise reuse its nonce. Providers without a raw `send` leave the nonce to the signer.
   */
  async #nonceOverrides(): Promise<Overrides> {
    if (!this.#sentBefore) return {};
    const rpc = this.provider as unknown as { send?: (method: string, params: unknown[]) => Promise<unknown> };
    if (typeof rpc.send !== "function") return {};
    const count = await rpc.send("eth_getTransactionCount", [await this.getAddress(), "pending"]);
    return { nonce: Number(count) };
  }

  /** A transaction mined as reverted: ethers gives no revert data, so replay it as a call to find it. */
  async #explainMinedRevert(
    action: string,
    response: ContractTransactionResponse,
    error: unknown,
  ): Promise<AccordContractError | undefined> {
    const decoded = decodeContractError(error, { action, transactionHash: response.hash });
    if (!decoded || decoded.errorName !== "EmptyRevert") return decoded;
    const receipt = (error as { receipt?: TransactionReceipt | null }).receipt;
    try {
      await this.provider.call({
        from: response.from,
        to: response.to,
        data: response.data,
        value: response.value,
        blockTag: receipt ? receipt.blockNumber - 1 : "latest",
      });
    } catch (replayError) {
      return decodeContractError(replayError, { action, transactionHash: response.hash }) ?? decoded;
    }
    return decoded;
  }

  /** Runs a view call, turning a revert into an AccordContractError. */
  protected async read<T>(action: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw decodeContractError(error, { action }) ?? error;
    }
  }

  /** Resolves a deal reference with this client's amount conversion. */
  resolveDeal(deal: DealRef): Promise<ResolvedDeal> {
    return resolveDeal(deal, { toWei: this.options.toWei });
  }

  /*//////////////////////////////////////////////////////////////
                                 TOKEN
  //////////////////////////////////////////////////////////////*/

  /** Token balance of `account` (default: the signer). */
  async tokenBalance(account?: string): Promise<bigint> {
    const token = await this.getToken();
    return token.balanceOf(account ?? (await this.getAddress()));
  }

  /** What the market may pull from the signer. */
  async allowance(): Promise<bigint> {
    const token = await this.getToken();
    return token.allowance(await this.getAddress(), await this.market.getAddress());
  }

  /**
   * Makes sure the market may pull `amount` from the signer. Does nothing when the allowance already
   * covers it (or mode is "none"); otherwise approves (exact amount or unlimited) or signs and submits
   * a permit. Returns the transaction sent, if any.
   */
  async ensureAllowance(amount: bigint, mode: AllowanceMode = this.allowanceMode): Promise<AccordTxResult | undefined> {
    if (mode === "none" || amount === 0n) return undefined;
    const current = await this.allowance();
    if (current >= amount) return undefined;
    const token = await this.getToken();
    const spender = await this.market.getAddress();
    if (mode === "permit") {
      const permit = await this.signPermit(amount);
      return this.submitPermit(permit);
    }
    const value = mode === "unlimited" ? MaxUint256 : amount;
    return this.send("approve", (overrides) => token.approve(spender, value, overrides));
  }

  /**
   * Approves `spender` (a contract that takes no permits, named `contract` in the error) to pull `amount` of the ERC20
   * at `token` from the signer, unless its allowance already covers it or mode is "none": the amount ("exact") or
   * 2^256 − 1 ("unlimited"); "permit" is refused (AccordValidationError, field "allowance"). The transaction, if any.
   */
  protected async approveShortfall(
    token: string,
    spender: string,
    amount: bigint,
    mode: AllowanceMode,
    where: { contract: string; subject: string },
  ): Promise<AccordTxResult | undefined> {
    if (mode === "none" || amount === 0n) return undefined;
    if (mode === "permit") {
      throw new AccordValidationError(
        "allowance",
        `permits are not taken by ${where.contract}: use exact or unlimited`,
        {
          subject: where.subject,
        },
      );
    }
    const erc20 = AccordToken__factory.connect(token, this.signer);
    const owner = await this.getAddress();
    if ((await this.read("allowance", () => erc20.allowance(owner, spender))) >= amount) return undefined;
    const value = mode === "unlimited" ? MaxUint256 : amount;
    return this.send("approve", (overrides) => erc20.approve(spender, value, overrides));
  }

  /**
   * Signs an EIP-2612 permit letting the market (or `spender`) pull `value` from the signer until
   * `deadline` (default: latest block + signatureValidity). The domain is read from the token (ERC-5267).
   */
  async signPermit(value: bigint, options: { deadline?: bigint; spender?: string } = {}): Promise<PermitSignature> {
    const token = await this.getToken();
    const owner = await this.getAddress();
    const spender = options.spender ?? (await this.market.getAddress());
    const deadline = options.deadline ?? (await this.defaultDeadline());
    const [nonce, domain] = await Promise.all([
      this.read("nonces", () => token.nonces(owner)),
      this.read("eip712Domain", () => token.eip712Domain()),
    ]);
    const signature = await this.signer.signTypedData(
      {
        name: domain.name,
        version: domain.version,
        chainId: domain.chainId,
        verifyingContract: domain.verifyingContract,
      },
      {
        Permit: [
          { name: "owner", type: "address" },
          { name: "spender", type: "address" },
          { name: "value", type: "uint256" },
          { name: "nonce", type: "uint256" },
          { name: "deadline", type: "uint256" },
        ],
      },
      { owner, spender, value, nonce, deadline },
    );
    const { v, r, s } = Signature.from(signature);
    return { token: await token.getAddress(), owner, spender, value, nonce, deadline, v, r, s, signature };
  }

  /** Submits a permit (anyone's) to the token. */
  async submitPermit(permit: PermitSignature): Promise<AccordTxResult> {
    const token = AccordToken__factory.connect(permit.token, this.signer);
    return this.send("permit", (overrides) =>
      token.permit(
        permit.owner,
        permit.spender,
        permit.value,
        permit.deadline,
        permit.v,
        permit.r,
        permit.s,
        overrides,
      ),
    );
  }

  /** latest block timestamp + seconds (default: signatureValidity, 3600). */
  async defaultDeadline(seconds = this.options.signatureValidity ?? 3600): Promise<bigint> {
    return (await this.latestTimestamp()) + BigInt(seconds);
  }

  /*//////////////////////////////////////////////////////////////
                              DEAL READS
  //////////////////////////////////////////////////////////////*/

  /** The key the market keeps the deal under: dealKey(dealId, jobCreator, resourceProvider). */
  async dealKey(deal: DealRef): Promise<`0x${string}`> {
    return (await this.resolveDeal(deal)).dealKey;
  }

  #keyOf(deal: DealKeyRef): Promise<`0x${string}`> {
    return dealKeyOf(deal, { toWei: this.options.toWei });
  }

  /**
   * The deal's state; AccordContractError DealMarket_DealNotFound when the market has no such deal. `deal` is a
   * deal reference or its key (a CID alone is refused: records with other parties may share the ID).
   */
  async getDealState(deal: DealKeyRef): Promise<AgreementState> {
    const key = await this.#keyOf(deal);
    const state = await this.read("getDealState", () => this.market.getDealState(key));
    return Number(state) as AgreementState;
  }

  /** The deal's stored slot (exists = false, all zero, for an unknown deal). */
  async getDealRecord(deal: DealKeyRef): Promise<DealRecordView> {
    const key = await this.#keyOf(deal);
    const record = await this.read("getDeal", () => this.market.getDeal(key));
    const state = Number(record.state) as AgreementState;
    const agreedBy = Number(record.agreedBy);
    return {
      dealKey: key,
      exists: record.updatedAt !== 0n,
      state,
      stateName: getAgreementStateString(state),
      agreedBy: { jobCreator: (agreedBy & 1) !== 0, resourceProvider: (agreedBy & 2) !== 0 },
      updatedAt: record.updatedAt,
      commitment: record.commitment,
    };
  }

  /** The deadline of the deal's current step and whether it has passed. */
  async getDealDeadline(deal: DealRef): Promise<DealDeadline> {
    const resolved = await this.resolveDeal(deal);
    const [record, now] = await Promise.all([this.getDealRecord(resolved.dealKey), this.latestTimestamp()]);
    if (!record.exists) {
      throw new AccordClientError(
        "NOT_FOUND",
        `the market has no deal ${resolved.dealCid} under key ${resolved.dealKey}`,
      );
    }
    const timeout = timeoutOf(record.state);
    const deadline = timeout ? record.updatedAt + resolved.terms.timeouts[timeout] : null;
    return {
      state: record.state,
      stateName: record.stateName,
      deadline,
      timeout,
      passed: deadline !== null && now > deadline,
    };
  }

  /** The mediator draw the market keeps for a deal under mediation (`exists` false otherwise). */
  async getMediationDraw(deal: DealKeyRef): Promise<MediationDrawView> {
    const key = await this.#keyOf(deal);
    const draw = await this.read("getMediationDraw", () => this.market.getMediationDraw(key));
    const drawBlock = Number(draw.drawBlock);
    return {
      dealKey: key,
      exists: drawBlock !== 0,
      drawBlock,
      drawn: draw.drawn,
      mediatorIndex: Number(draw.mediatorIndex),
    };
  }

  /**
   * The drawn mediator as the market's `drawnMediator` view reads it (the terms checked on chain). Reverts
   * (AccordContractError) with DealMarket_DrawPending while the chain is still in the draw block (on most
   * nodes a call runs in the latest block: one block after checkResult), DealMarket_DrawExpired once the
   * draw block is older than 256 blocks and the draw was not fixed. `computeDrawnMediator` needs no wait.
   */
  async drawnMediator(deal: DealRef, options: ResultStepOptions = {}): Promise<DrawnMediator> {
    const resolved = await this.resolveDeal(deal);
    const instructionCount = await this.instructionCountOf(resolved, options.instructionCount);
    const [mediator, mediatorIndex] = await this.read("drawnMediator", () =>
      this.market.drawnMediator(resolved.dealId, resolved.terms, instructionCount),
    );
    return { mediator, mediatorIndex: Number(mediatorIndex) };
  }

  /**
   * The drawn mediator computed off chain, as soon as the draw block is mined: the fixed draw, or
   * `mediatorDrawIndex(hash of the draw block, dealKey, mediators)` over the terms passed (which the chain
   * checks only when a decision is sent). AccordClientError NOT_FOUND when the deal is not under mediation.
   */
  async computeDrawnMediator(deal: DealRef): Promise<MediatorDraw> {
    const resolved = await this.resolveDeal(deal);
    const draw = await this.getMediationDraw(resolved.dealKey);
    if (!draw.exists) {
      throw new AccordClientError(
        "NOT_FOUND",
        `deal ${resolved.dealCid} (key ${resolved.dealKey}) has no mediator draw: it is not under mediation`,
      );
    }
    const [block, latest] = await Promise.all([this.provider.getBlock(draw.drawBlock), this.provider.getBlockNumber()]);
    if (!block?.hash) throw new AccordClientError("NOT_FOUND", `the provider returned no block ${draw.drawBlock}`);
    const mediators = resolved.terms.members.mediators;
    const mediatorIndex = draw.drawn
      ? draw.mediatorIndex
      : mediatorDrawIndex(block.hash, resolved.dealKey, mediators.length);
    return {
      dealKey: resolved.dealKey,
      mediator: getAddress(mediators[mediatorIndex]),
      mediatorIndex,
      drawBlock: draw.drawBlock,
      drawBlockHash: block.hash,
      fixed: draw.drawn,
      // The next transaction's block is latest + 1.
      expired: !draw.drawn && latest + 1 - draw.drawBlock > BLOCKHASH_WINDOW,
    };
  }

  /** Payouts kept for `account` (default: the signer) because their transfer failed. */
  async deferredPayouts(account?: string): Promise<bigint> {
    const who = account ?? (await this.getAddress());
    return this.read("deferredPayouts", () => this.market.deferredPayouts(who));
  }

  /** Withdraws the signer's deferred payouts to `to` (default: the signer). */
  async withdraw(to?: string): Promise<AccordTxResult> {
    const recipient = to ?? (await this.getAddress());
    return this.send("withdraw", (overrides) => this.market.withdraw(recipient, overrides));
  }

  /**
   * Every market event of one deal record (DealCreated, PartyAgreed, DealStateChange, Payment, …) in chain
   * order, found by its key.
   */
  async getDealEvents(deal: DealKeyRef): Promise<AccordLog[]> {
    const key = await this.#keyOf(deal);
    const market = await this.market.getAddress();
    const logs = await this.provider.getLogs({
      address: market,
      topics: [null, key],
      fromBlock: this.fromBlock,
      toBlock: "latest",
    });
    return decodeAccordLogs(logs, { market }).filter((event) => "dealKey" in event.args && event.args.dealKey === key);
  }

  /**
   * Every record created under a deal ID (its CID or bytes32), whatever its parties: the DealCreated events, in
   * chain order. More than one means someone else used the ID with other parties; tell them apart by key.
   */
  async findDealsById(dealId: string): Promise<AccordLogOf<"DealCreated">[]> {
    const id = toDealIdBytes32(dealId);
    const logs = await this.market.queryFilter(this.market.filters.DealCreated(), this.fromBlock, "latest");
    return eventsNamed(decodeAccordLogs(logs, { market: await this.market.getAddress() }), "DealCreated").filter(
      (event) => event.args.dealId === id,
    );
  }

  /** The deal's DealCreated event (found by key): ID, parties and terms (`dealTermsOf`); undefined if not created. */
  async findDealCreated(deal: DealKeyRef): Promise<AccordLogOf<"DealCreated"> | undefined> {
    return (await this.#eventsOf(deal, "DealCreated"))[0];
  }

  /** The deal's terms from its DealCreated event (undefined if the market has not seen it). */
  async findDealTerms(deal: DealKeyRef): Promise<OnChainDealTerms | undefined> {
    const created = await this.findDealCreated(deal);
    return created && dealTermsOf(created);
  }

  /** The deal's ResultAdded event (results ID and instruction count), if results were submitted. */
  async findResult(deal: DealKeyRef): Promise<DealResult | undefined> {
    const events = await this.#eventsOf(deal, "ResultAdded");
    return events[events.length - 1];
  }

  /**
   * The deal's latest MediationRequested event (the draw block; its `blockHash` draws the mediator, see
   * `drawnMediatorOf`), if the result was checked.
   */
  async findMediation(deal: DealKeyRef): Promise<DealMediation | undefined> {
    const events = await this.#eventsOf(deal, "MediationRequested");
    return events[events.length - 1];
  }

  async #eventsOf<N extends "DealCreated" | "ResultAdded" | "MediationRequested">(
    deal: DealKeyRef,
    name: N,
  ): Promise<AccordLogOf<N>[]> {
    const key = await this.#keyOf(deal);
    const market = this.market;
    const filter =
      name === "DealCreated"
        ? market.filters.DealCreated(key)
        : name === "ResultAdded"
          ? market.filters.ResultAdded(key)
          : market.filters.MediationRequested(key);
    const logs = await market.queryFilter(filter, this.fromBlock, "latest");
    return eventsNamed(decodeAccordLogs(logs, { market: await market.getAddress() }), name);
  }

  /** The instruction count for calls after addResult: given, on the reference, or from ResultAdded (by key). */
  protected async instructionCountOf(deal: ResolvedDeal, given?: bigint | number): Promise<bigint> {
    if (given !== undefined) return BigInt(given);
    if (deal.instructionCount !== undefined) return deal.instructionCount;
    const result = await this.findResult(deal.dealKey);
    if (!result) {
      throw new AccordClientError(
        "NOT_FOUND",
        `deal ${deal.dealCid} (key ${deal.dealKey}) has no ResultAdded event since block ${this.fromBlock}; pass instructionCount`,
      );
    }
    return result.args.instructionCount;
  }
}

function timeoutOf(state: AgreementState): DealDeadline["timeout"] {
  switch (state) {
    case AgreementState.DealNegotiating:
      return "agree";
    case AgreementState.DealAgreed:
      return "submitResults";
    case AgreementState.ResultsSubmitted:
      return "judgeResults";
    case AgreementState.ResultsChecked:
      return "mediateResults";
    default:
      return null;
  }
}

/** Options of the actions that come after addResult. */
export type ResultStepOptions = {
  /** From the ResultAdded event; looked up on chain when absent. */
  instructionCount?: bigint | number;
};

/** Options of the actions that come after checkResult (the mediator is the chain's draw, not an argument). */
export type MediationStepOptions = ResultStepOptions;

export { BLOCKHASH_WINDOW };

/** True when two addresses are the same (any case): the data model's comparison. */
export { sameAddress } from "../model/address";
