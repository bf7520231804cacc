// Signed offer posts for the solver's tests: offers with their IDs, and their owners' EIP-712 signatures.

import { expect } from "chai";
import { Wallet } from "ethers";
import { getJobOfferId, getResourceOfferId, parseJobOffer, parseResourceOffer } from "../../src/model";
import {
  OFFER_POST_TYPES,
  OfferIntakeError,
  offerPost,
  offerPostDomain,
  resolveIntakeRules,
  type OfferKind,
} from "../../src/solver";

export const NOW = 1_750_000_000_000;
export const CHAIN = 31337n;
export const jobCreator = new Wallet("0x" + "11".repeat(32));
export const provider = new Wallet("0x" + "22".repeat(32));
export const stranger = new Wallet("0x" + "33".repeat(32));
export const solver = "0x5555555555555555555555555555555555555555";
export const otherSolver = "0x9999999999999999999999999999999999999999";
export const mediator = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
export const rules = resolveIntakeRules({ chainId: CHAIN, solver });
export const cowsay = {
  name: "cowsay",
  repo: "https://example.org/cowsay",
  hash: "abc".repeat(13) + "a",
  path: "t.json",
};
export const pricing = {
  instruction_price: 10,
  payment_collateral: 20,
  results_collateral_multiple: 3,
  mediation_fee: 4,
};
export const timeouts = {
  agree: { timeout: 60, collateral: 1 },
  submit_results: { timeout: 60, collateral: 1 },
  judge_results: { timeout: 60, collateral: 1 },
  mediate_results: { timeout: 60, collateral: 1 },
};

export type Json = Record<string, unknown>;

export async function jobBody(overrides: Json = {}): Promise<Json> {
  const body: Json = {
    id: "",
    created_at: NOW,
    job_creator: jobCreator.address,
    module: cowsay,
    spec: { gpu: 0, cpu: 1000, ram: 512 },
    inputs: { prompt: "moo" },
    mode: "FixedPrice",
    pricing,
    timeouts,
    trusted_parties: { solver, mediator: [mediator] },
    ...overrides,
  };
  body.id = await getJobOfferId(parseJobOffer(body));
  return body;
}

export async function resourceBody(overrides: Json = {}): Promise<Json> {
  const body: Json = {
    id: "",
    created_at: NOW,
    resource_provider: provider.address,
    index: 0,
    spec: { gpu: 0, cpu: 8000, ram: 16000 },
    modules: [],
    mode: "FixedPrice",
    default_pricing: pricing,
    default_timeouts: timeouts,
    module_pricing: {},
    module_timeouts: {},
    trusted_parties: { solver, mediator: [mediator] },
    ...overrides,
  };
  body.id = await getResourceOfferId(parseResourceOffer(body));
  return body;
}

export function sign(wallet: Wallet, kind: OfferKind, id: unknown, to = solver, chainId = CHAIN): Promise<string> {
  return wallet.signTypedData(offerPostDomain(chainId), OFFER_POST_TYPES, offerPost(kind, String(id), to));
}

/** DealPricing input: instruction price `p`, and the other amounts (by default `p`, and a multiple of 2). */
export const pricingOf = (p: number, c = p, r = 2, m = p) => ({
  instruction_price: p,
  payment_collateral: c,
  results_collateral_multiple: r,
  mediation_fee: m,
});

/** DealTimeouts input: every timeout `t` seconds, collaterals 1 to 4. */
export const timeoutsOf = (t: number) => ({
  agree: { timeout: t, collateral: 1 },
  submit_results: { timeout: t, collateral: 2 },
  judge_results: { timeout: t, collateral: 3 },
  mediate_results: { timeout: t, collateral: 4 },
});

/** The OfferIntakeError a refused post rejects with (the test fails if it is accepted or fails otherwise). */
export async function refusal(promise: Promise<unknown>): Promise<OfferIntakeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(OfferIntakeError);
    return error as OfferIntakeError;
  }
  throw new Error("expected the post to be refused");
}
