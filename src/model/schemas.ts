// The Go declarations of the reference types, as encoder schemas: JSON names in declaration order.
// Changing an order here changes every ID computed over the type.

import { goBool, goInt, goMap, goSlice, goString, goStruct, goUint64, goUint8, opaqueJson } from "./json";

export const machineSpecSchema = goStruct("MachineSpec", [
  ["gpu", goInt],
  ["cpu", goInt],
  ["ram", goInt],
]);

export const moduleConfigSchema = goStruct("ModuleConfig", [
  ["name", goString()],
  ["repo", goString()],
  ["hash", goString()],
  ["path", goString()],
]);

export const moduleSchema = goStruct("Module", [
  ["machine", machineSpecSchema],
  ["job", opaqueJson],
]);

export const serviceConfigSchema = goStruct("ServiceConfig", [
  ["solver", goString("address")],
  ["mediator", goSlice(goString("required-address"))],
]);

export const dealTimeoutSchema = goStruct("DealTimeout", [
  ["timeout", goUint64],
  ["collateral", goUint64],
]);

export const dealTimeoutsSchema = goStruct("DealTimeouts", [
  ["agree", dealTimeoutSchema],
  ["submit_results", dealTimeoutSchema],
  ["judge_results", dealTimeoutSchema],
  ["mediate_results", dealTimeoutSchema],
]);

export const dealPricingSchema = goStruct("DealPricing", [
  ["instruction_price", goUint64],
  ["payment_collateral", goUint64],
  ["results_collateral_multiple", goUint64],
  ["mediation_fee", goUint64],
]);

export const jobOfferSchema = goStruct("JobOffer", [
  ["id", goString("cid-v0")],
  ["created_at", goInt],
  ["job_creator", goString("address")],
  ["module", moduleConfigSchema],
  ["spec", machineSpecSchema],
  ["inputs", goMap(goString())],
  ["mode", goString("pricing-mode")],
  ["pricing", dealPricingSchema],
  ["timeouts", dealTimeoutsSchema],
  ["trusted_parties", serviceConfigSchema],
]);

export const resourceOfferSchema = goStruct("ResourceOffer", [
  ["id", goString("cid-v0")],
  ["created_at", goInt],
  ["resource_provider", goString("address")],
  ["index", goInt],
  ["spec", machineSpecSchema],
  // Module IDs, free-form: the reference does not constrain them.
  ["modules", goSlice(goString())],
  ["mode", goString("pricing-mode")],
  ["default_pricing", dealPricingSchema],
  ["default_timeouts", dealTimeoutsSchema],
  ["module_pricing", goMap(dealPricingSchema)],
  ["module_timeouts", goMap(dealTimeoutsSchema)],
  ["trusted_parties", serviceConfigSchema],
]);

export const dealMembersSchema = goStruct("DealMembers", [
  ["solver", goString("address")],
  ["job_creator", goString("address")],
  ["resource_provider", goString("address")],
  ["mediators", goSlice(goString("required-address"))],
]);

export const dealSchema = goStruct("Deal", [
  ["id", goString("cid-v0")],
  ["members", dealMembersSchema],
  ["pricing", dealPricingSchema],
  ["timeouts", dealTimeoutsSchema],
  ["job_offer", jobOfferSchema],
  ["resource_offer", resourceOfferSchema],
]);

export const resultSchema = goStruct("Result", [
  ["id", goString("cid-v0")],
  ["deal_id", goString("cid-v0")],
  ["results_id", goString("cid")],
  ["error", goString()],
  ["instruction_count", goUint64],
]);

export const matchDecisionSchema = goStruct("MatchDecision", [
  ["job_offer", goString("cid-v0")],
  ["resource_offer", goString("cid-v0")],
  ["deal", goString("cid-v0")],
  ["result", goBool],
]);

export const jobOfferContainerSchema = goStruct("JobOfferContainer", [
  ["id", goString("cid-v0")],
  ["deal_id", goString("cid-v0")],
  ["job_creator", goString("address")],
  ["state", goUint8],
  ["job_offer", jobOfferSchema],
]);

export const resourceOfferContainerSchema = goStruct("ResourceOfferContainer", [
  ["id", goString("cid-v0")],
  ["deal_id", goString("cid-v0")],
  ["resource_provider", goString("address")],
  ["state", goUint8],
  // sic: the reference names the resource offer's key `job_offer`.
  ["job_offer", resourceOfferSchema],
]);

export const dealTransactionsResourceProviderSchema = goStruct("DealTransactionsResourceProvider", [
  ["agree", goString()],
  ["add_result", goString()],
  ["timeout_agree", goString()],
  ["timeout_judge_result", goString()],
  ["timeout_mediate_result", goString()],
]);

export const dealTransactionsJobCreatorSchema = goStruct("DealTransactionsJobCreator", [
  ["agree", goString()],
  ["accept_result", goString()],
  ["check_result", goString()],
  ["timeout_agree", goString()],
  ["timeout_submit_result", goString()],
  ["timeout_mediate_result", goString()],
]);

export const dealTransactionsMediatorSchema = goStruct("DealTransactionsMediator", [
  ["mediation_accept_result", goString()],
  ["mediation_reject_result", goString()],
]);

export const dealTransactionsSchema = goStruct("DealTransactions", [
  ["resource_provider", dealTransactionsResourceProviderSchema],
  ["job_creator", dealTransactionsJobCreatorSchema],
  ["mediator", dealTransactionsMediatorSchema],
]);

export const dealContainerSchema = goStruct("DealContainer", [
  ["id", goString("cid-v0")],
  ["job_creator", goString("address")],
  ["resource_provider", goString("address")],
  ["job_offer", goString("cid-v0")],
  ["resource_offer", goString("cid-v0")],
  ["state", goUint8],
  ["deal", dealSchema],
  ["transactions", dealTransactionsSchema],
  ["mediator", goString("address")],
]);
