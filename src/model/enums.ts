// Name <-> index lookups for the reference enums. The index is what the contracts store.

import { UnknownEnumValueError } from "./errors";
import {
  AgreementState,
  ChannelStatus,
  JobStatus,
  MachineStatus,
  OperatorStatus,
  PaymentDirection,
  PaymentReason,
  PoolStatus,
  RefundReason,
  ServiceType,
  TaskStatus,
  WorkloadStatus,
  type AgreementStateName,
  type ChannelStatusName,
  type JobStatusName,
  type MachineStatusName,
  type OperatorStatusName,
  type PaymentDirectionName,
  type PaymentReasonName,
  type PoolStatusName,
  type RefundReasonName,
  type ServiceTypeName,
  type TaskStatusName,
  type WorkloadStatusName,
} from "./types";

export const serviceTypeNames = Object.keys(ServiceType) as readonly ServiceTypeName[];
export const agreementStateNames = Object.keys(AgreementState) as readonly AgreementStateName[];
export const paymentReasonNames = Object.keys(PaymentReason) as readonly PaymentReasonName[];
export const paymentDirectionNames = Object.keys(PaymentDirection) as readonly PaymentDirectionName[];
export const poolStatusNames = Object.keys(PoolStatus) as readonly PoolStatusName[];
export const workloadStatusNames = Object.keys(WorkloadStatus) as readonly WorkloadStatusName[];
export const channelStatusNames = Object.keys(ChannelStatus) as readonly ChannelStatusName[];
export const operatorStatusNames = Object.keys(OperatorStatus) as readonly OperatorStatusName[];
export const taskStatusNames = Object.keys(TaskStatus) as readonly TaskStatusName[];
export const machineStatusNames = Object.keys(MachineStatus) as readonly MachineStatusName[];
export const jobStatusNames = Object.keys(JobStatus) as readonly JobStatusName[];
export const refundReasonNames = Object.keys(RefundReason) as readonly RefundReasonName[];

/** The index of `name` in `names` (an enum's members in order); UnknownEnumValueError naming `enumName` otherwise. */
export function getTypeIndex(enumName: string, names: readonly string[], name: string): number {
  const index = names.indexOf(name);
  if (index < 0) throw new UnknownEnumValueError(enumName, name);
  return index;
}

export function getServiceType(name: string): ServiceType {
  return getTypeIndex("ServiceType", serviceTypeNames, name) as ServiceType;
}

export function getAgreementState(name: string): AgreementState {
  return getTypeIndex("AgreementState", agreementStateNames, name) as AgreementState;
}

/** Same as getAgreementState. (The reference returns 0 for an unknown name; here it is an error.) */
export function getAgreementStateIndex(name: string): AgreementState {
  return getAgreementState(name);
}

/** The name of an AgreementState index. (The reference panics on a bad index; here it is an error.) */
export function getAgreementStateString(state: number): AgreementStateName {
  const name = Number.isInteger(state) ? agreementStateNames[state] : undefined;
  if (name === undefined) throw new UnknownEnumValueError("AgreementState", state);
  return name;
}

/** The state every offer and deal starts in: DealNegotiating. */
export function getDefaultAgreementState(): AgreementState {
  return AgreementState.DealNegotiating;
}

export function getPaymentReason(name: string): PaymentReason {
  return getTypeIndex("PaymentReason", paymentReasonNames, name) as PaymentReason;
}

export function getPaymentDirection(name: string): PaymentDirection {
  return getTypeIndex("PaymentDirection", paymentDirectionNames, name) as PaymentDirection;
}

/** DealNegotiating or DealAgreed: the deal can still move. */
export function isActiveAgreementState(state: number): boolean {
  return state === AgreementState.DealNegotiating || state === AgreementState.DealAgreed;
}

/** The reference's terminal states: the deal's outcome is settled. */
export function isTerminalAgreementState(state: number): boolean {
  return (
    state === AgreementState.ResultsAccepted ||
    state === AgreementState.MediationAccepted ||
    state === AgreementState.MediationRejected
  );
}

/**
 * Terminal, or ended by a timeout: no further transition moves funds. Accord treats the Timeout*
 * states as final for funds, which the reference's isTerminal does not include.
 */
export function isFinalForFunds(state: number): boolean {
  return (
    isTerminalAgreementState(state) ||
    state === AgreementState.TimeoutSubmitResults ||
    state === AgreementState.TimeoutJudgeResults ||
    state === AgreementState.TimeoutMediateResults ||
    state === AgreementState.TimeoutAgree
  );
}

/** States in which a deal is still in progress: it may still move funds or change state (the indexer's `isOpen`). */
export const openAgreementStates: readonly AgreementStateName[] = [
  "DealNegotiating",
  "DealAgreed",
  "ResultsSubmitted",
  "ResultsChecked",
];

/** The states that decide a mediation. */
export const mediationOutcomeStates: readonly AgreementStateName[] = [
  "MediationAccepted",
  "MediationRejected",
  "TimeoutMediateResults",
];
