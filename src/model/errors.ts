/** Base class of every error the data model throws, so callers can catch the whole family. */
export class AccordError extends Error {
  override name = "AccordError";
}

/**
 * A value breaks a rule of the data model: bad shape or range in untrusted input, a value the
 * Go-compatible encoder cannot represent, or an offer/result failing a reference check.
 *
 * `field` is a JSON path into the object (`pricing.payment_collateral`, `trusted_parties.mediator[1]`,
 * `module_pricing["a b"]`); the empty string means the value as a whole.
 */
export class AccordValidationError extends AccordError {
  override name = "AccordValidationError";
  readonly field: string;
  readonly rule: string;
  /** What was being validated ("job offer", "deal", …), when known. */
  readonly subject: string | undefined;

  constructor(field: string, rule: string, options: { subject?: string; cause?: unknown } = {}) {
    const where = field === "" ? "(root)" : field;
    super(`${options.subject ? `invalid ${options.subject}: ` : ""}${where} ${rule}`, { cause: options.cause });
    this.field = field;
    this.rule = rule;
    this.subject = options.subject;
  }
}

/** A reference check (checkJobOffer, checkResourceOffer, checkResult) failed. */
export class AccordCheckError extends AccordValidationError {
  override name = "AccordCheckError";
}

/** A name or index that is not a member of one of the reference enums. */
export class UnknownEnumValueError extends AccordError {
  override name = "UnknownEnumValueError";
  readonly enumName: string;
  readonly value: string | number;

  constructor(enumName: string, value: string | number) {
    // Same wording as the reference ("no AgreementState of type Foo"), with the value quoted.
    super(`no ${enumName} of type ${JSON.stringify(value)}`);
    this.enumName = enumName;
    this.value = value;
  }
}

/** getDeal could not match a job offer with a resource offer. */
export class DealMatchError extends AccordError {
  override name = "DealMatchError";
  readonly reason: "no-mutual-mediators" | "no-mutual-solver";

  constructor(reason: "no-mutual-mediators" | "no-mutual-solver", message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A string that is not an ID of the expected form (CIDv0 / dag-pb sha2-256), or a malformed bytes32. */
export class InvalidCidError extends AccordError {
  override name = "InvalidCidError";
  readonly value: string;

  constructor(value: string, reason: string, options: { cause?: unknown } = {}) {
    super(`invalid ID ${JSON.stringify(value)}: ${reason}`, { cause: options.cause });
    this.value = value;
  }
}
