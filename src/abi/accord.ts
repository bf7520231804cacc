// The Accord contracts' ABIs (generated from the Hardhat artifacts by scripts/build.js), their decoders and the
// decoded-event types the clients and the indexer share.

import { createEventDecoder } from "./decoder";
import { accordTokenAbi, dealMarketAbi, serviceRegistryAbi } from "./generated";
import type { DecodedEventOf, EventNamed } from "./types";

export { accordTokenAbi, dealMarketAbi, serviceRegistryAbi };

export type DealMarketEvent = DecodedEventOf<typeof dealMarketAbi>;
export type ServiceRegistryEvent = DecodedEventOf<typeof serviceRegistryAbi>;
export type AccordTokenEvent = DecodedEventOf<typeof accordTokenAbi>;

/**
 * A decoded event of the market or the registry, discriminated on `eventName`; `args` as in the ABI (e.g.
 * DealCreated: dealKey, jobCreator, resourceProvider, dealId, solver, mediators, pricing {…}, timeouts {…}).
 */
export type AccordEvent = DealMarketEvent | ServiceRegistryEvent;
export type AccordEventName = AccordEvent["eventName"];
export type AccordEventOf<N extends AccordEventName> = EventNamed<AccordEvent, N>;

export const dealMarketDecoder = createEventDecoder(dealMarketAbi);
export const serviceRegistryDecoder = createEventDecoder(serviceRegistryAbi);
export const accordTokenDecoder = createEventDecoder(accordTokenAbi);
