import { expect } from "chai";
import {
  AccordCheckError,
  AccordValidationError,
  AgreementState,
  agreementStateNames,
  checkJobOffer,
  checkResourceOffer,
  checkResult,
  getAgreementState,
  getAgreementStateIndex,
  getAgreementStateString,
  getDefaultAgreementState,
  getPaymentDirection,
  getPaymentReason,
  getServiceType,
  getTypeIndex,
  isActiveAgreementState,
  isFinalForFunds,
  isTerminalAgreementState,
  PaymentDirection,
  PaymentReason,
  ServiceType,
  UnknownEnumValueError,
} from "../../src/model";
import { addressA, addressB, solver } from "./helpers";

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  expect.fail("expected an error");
}

describe("model: enums", () => {
  it("has the reference's indices, with TimeoutAgree appended as 10", () => {
    expect(ServiceType).to.deep.equal({ Solver: 0, Mediator: 1, Directory: 2, ResourceProvider: 3, JobCreator: 4 });
    expect(agreementStateNames).to.deep.equal([
      "DealNegotiating",
      "DealAgreed",
      "ResultsSubmitted",
      "ResultsAccepted",
      "ResultsChecked",
      "MediationAccepted",
      "MediationRejected",
      "TimeoutSubmitResults",
      "TimeoutJudgeResults",
      "TimeoutMediateResults",
      "TimeoutAgree",
    ]);
    expect(AgreementState.TimeoutAgree).to.equal(10);
    expect(PaymentReason).to.deep.equal({
      PaymentCollateral: 0,
      ResultsCollateral: 1,
      TimeoutCollateral: 2,
      JobPayment: 3,
      MediationFee: 4,
    });
    expect(PaymentDirection).to.deep.equal({ PaidIn: 0, PaidOut: 1, Refunded: 2, Slashed: 3 });
  });

  it("looks names up", () => {
    expect(getServiceType("JobCreator")).to.equal(4);
    expect(getAgreementState("ResultsChecked")).to.equal(4);
    expect(getAgreementStateIndex("TimeoutAgree")).to.equal(10);
    expect(getPaymentReason("MediationFee")).to.equal(4);
    expect(getPaymentDirection("Slashed")).to.equal(3);
    expect(getTypeIndex("Colour", ["Red", "Green"], "Green")).to.equal(1);
    expect(getAgreementStateString(7)).to.equal("TimeoutSubmitResults");
    expect(getDefaultAgreementState()).to.equal(AgreementState.DealNegotiating);
  });

  it("throws an error naming the enum and the value for unknown names and indices", () => {
    const cases: [() => unknown, string, string | number][] = [
      [() => getServiceType("Oracle"), "ServiceType", "Oracle"],
      [() => getAgreementState("dealagreed"), "AgreementState", "dealagreed"],
      [() => getAgreementStateIndex("Nope"), "AgreementState", "Nope"],
      [() => getPaymentReason("Tip"), "PaymentReason", "Tip"],
      [() => getPaymentDirection(""), "PaymentDirection", ""],
      [() => getTypeIndex("Colour", ["Red"], "Blue"), "Colour", "Blue"],
      [() => getAgreementStateString(11), "AgreementState", 11],
      [() => getAgreementStateString(-1), "AgreementState", -1],
      [() => getAgreementStateString(1.5), "AgreementState", 1.5],
    ];
    for (const [run, enumName, value] of cases) {
      const error = thrown(run) as UnknownEnumValueError;
      expect(error).to.be.instanceOf(UnknownEnumValueError);
      expect(error.enumName).to.equal(enumName);
      expect(error.value).to.equal(value);
      expect(error.message).to.contain(enumName).and.contain(JSON.stringify(value));
    }
  });

  it("classifies states: active, terminal, final for funds", () => {
    const active = agreementStateNames.filter((name) => isActiveAgreementState(AgreementState[name]));
    const terminal = agreementStateNames.filter((name) => isTerminalAgreementState(AgreementState[name]));
    const final = agreementStateNames.filter((name) => isFinalForFunds(AgreementState[name]));
    expect(active).to.deep.equal(["DealNegotiating", "DealAgreed"]);
    expect(terminal).to.deep.equal(["ResultsAccepted", "MediationAccepted", "MediationRejected"]);
    expect(final).to.deep.equal([
      "ResultsAccepted",
      "MediationAccepted",
      "MediationRejected",
      "TimeoutSubmitResults",
      "TimeoutJudgeResults",
      "TimeoutMediateResults",
      "TimeoutAgree",
    ]);
    expect(isActiveAgreementState(99)).to.equal(false);
    expect(isFinalForFunds(99)).to.equal(false);
  });
});

describe("model: reference checks", () => {
  const jobOffer = { trusted_parties: { solver, mediator: [addressA] } };
  const resourceOffer = { mode: "FixedPrice" as const, trusted_parties: { solver, mediator: [addressB] } };

  function checkError(run: () => unknown): AccordCheckError {
    const error = thrown(run);
    expect(error).to.be.instanceOf(AccordCheckError);
    expect(error).to.be.instanceOf(AccordValidationError);
    return error as AccordCheckError;
  }

  it("accepts offers that name a solver and a mediator", () => {
    expect(() => checkJobOffer(jobOffer)).to.not.throw();
    expect(() => checkResourceOffer(resourceOffer)).to.not.throw();
  });

  it("checkJobOffer requires a solver, then at least one mediator", () => {
    expect(checkError(() => checkJobOffer({ trusted_parties: { solver: "", mediator: [] } })).field).to.equal(
      "trusted_parties.solver",
    );
    expect(checkError(() => checkJobOffer({})).field).to.equal("trusted_parties.solver");
    const noMediator = checkError(() => checkJobOffer({ trusted_parties: { solver, mediator: [] } }));
    expect(noMediator.field).to.equal("trusted_parties.mediator");
    expect(noMediator.message).to.match(
      /^invalid job offer: trusted_parties.mediator must have at least one trusted mediator$/,
    );
    expect(checkError(() => checkJobOffer({ trusted_parties: { solver, mediator: null } })).field).to.equal(
      "trusted_parties.mediator",
    );
  });

  it("checkResourceOffer refuses MarketPrice first, then requires a solver and a mediator", () => {
    expect(checkError(() => checkResourceOffer({ mode: "MarketPrice", trusted_parties: {} })).field).to.equal("mode");
    expect(
      checkError(() => checkResourceOffer({ mode: "FixedPrice", trusted_parties: { mediator: [addressB] } })).field,
    ).to.equal("trusted_parties.solver");
    expect(checkError(() => checkResourceOffer({ mode: "FixedPrice", trusted_parties: { solver } })).field).to.equal(
      "trusted_parties.mediator",
    );
  });

  it("checkResult needs a data ID or an error", () => {
    expect(() => checkResult({ results_id: "QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4" })).to.not.throw();
    expect(() => checkResult({ error: "out of memory" })).to.not.throw();
    const error = checkError(() => checkResult({ results_id: "", error: "" }));
    expect(error.field).to.equal("results_id");
    expect(error.subject).to.equal("result");
  });
});
