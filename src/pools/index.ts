// Capacity pools (`accord/pools`): the integer model of a pool, the unit calculator and reservations.

export * from "./model";
export * from "./units";
export * from "./reservation";
