// Dispatch of decoded events to their handlers, and the batch prefetch that loads every entity the events
// will touch with one query per entity type (instead of one per event).

import type { DecodedLog } from "../sync/events";
import { PAYMENT_DIRECTIONS } from "../sync/events";
import type { HandlerContext, HandlerWriter } from "./context";
import * as market from "./deal-market";
import * as registry from "./service-registry";

export { OPEN_STATES, MEDIATION_OUTCOMES, paymentAccount } from "./deal-market";
export { roleFields } from "./service-registry";
export { cidV0FromDigest, eventId } from "./ids";
export type { HandlerContext, HandlerWriter } from "./context";

export function handle(ctx: HandlerContext, e: DecodedLog): Promise<void> {
  switch (e.name) {
    case "DealCreated":
      return market.onDealCreated(ctx, e);
    case "PartyAgreed":
      return market.onPartyAgreed(ctx, e);
    case "DealStateChange":
      return market.onDealStateChange(ctx, e);
    case "ResultAdded":
      return market.onResultAdded(ctx, e);
    case "MediationRequested":
      return market.onMediationRequested(ctx, e);
    case "MediatorDrawn":
      return market.onMediatorDrawn(ctx, e);
    case "Payment":
      return market.onPayment(ctx, e);
    case "PayoutDeferred":
      return market.onPayoutDeferred(ctx, e);
    case "Withdrawn":
      return market.onWithdrawn(ctx, e);
    case "ServiceRegistered":
      return registry.onServiceRegistered(ctx, e);
    case "ServiceRoleAdded":
      return registry.onServiceRoleAdded(ctx, e);
    case "ServiceRoleRemoved":
      return registry.onServiceRoleRemoved(ctx, e);
    case "ServiceUnregistered":
      return registry.onServiceUnregistered(ctx, e);
  }
}

/** Loads the entities `events` will read, in two rounds (deals first, then the accounts their payments name). */
export async function prefetch(w: HandlerWriter, events: DecodedLog[]): Promise<void> {
  if (!w.prefetch || events.length === 0) return;
  const deals = new Set<string>();
  const accounts = new Set<string>();
  const services = new Set<string>();
  const mediations = new Set<string>();
  const results = new Set<string>();
  const paidOutDeals = new Set<string>();
  for (const e of events) {
    switch (e.name) {
      case "DealCreated":
        accounts.add(e.jobCreator).add(e.resourceProvider);
        deals.add(e.dealKey);
        break;
      case "Payment": {
        deals.add(e.dealKey);
        accounts.add(e.payee);
        const direction = PAYMENT_DIRECTIONS[e.direction];
        if (direction === "PaidOut" || direction === "Slashed") paidOutDeals.add(e.dealKey);
        break;
      }
      case "DealStateChange":
        deals.add(e.dealKey);
        if (e.state === 5 || e.state === 6 || e.state === 9) mediations.add(e.dealKey);
        break;
      case "ResultAdded":
        results.add(e.dealKey);
        deals.add(e.dealKey);
        break;
      case "MediationRequested":
      case "MediatorDrawn":
        mediations.add(e.dealKey);
        deals.add(e.dealKey);
        break;
      case "PartyAgreed":
        deals.add(e.dealKey);
        break;
      case "PayoutDeferred":
      case "Withdrawn":
        accounts.add(e.account);
        break;
      default:
        services.add(e.account);
        accounts.add(e.account);
    }
  }
  await w.prefetch("Deal", deals);
  if (services.size) await w.prefetch("Service", services);
  if (mediations.size) await w.prefetch("Mediation", mediations);
  if (results.size) await w.prefetch("Result", results);
  for (const key of paidOutDeals) {
    const deal = await w.get("Deal", key);
    if (deal) accounts.add(deal.jobCreator as string).add(deal.resourceProvider as string);
  }
  await w.prefetch("Account", accounts);
}
