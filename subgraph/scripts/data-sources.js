// The contracts the subgraph indexes (its data sources, in subgraph.template.yaml's order): read by prepare.js (the
// manifest and ABIs) and by scripts/build.js (which artifacts the subgraph build depends on). The token and the
// square-task verifier emit nothing the subgraph keeps.
module.exports = [
  "DealMarket",
  "ServiceRegistry",
  "CapacityPools",
  "PaymentChannels",
  "OperatorRegistry",
  "TaskManager",
  "QuorumMediator",
  "MachineRegistry",
  "JobEscrow",
  "QuorumJobOracle",
];
