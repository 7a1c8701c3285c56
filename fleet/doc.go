// Package fleet plans over a fleet of D1 databases: the many databases of
// one environment (a database per tenant) that an environment's databases
// block selects (hclspec.Fleet).
//
// Resolve lists the fleet's databases from a Source (the account's D1
// databases through the list API, or the subdirectories of a local
// directory), by prefix, pattern, explicit names or a file of names, and
// marks the listed names that do not exist. PlanFleet inspects every
// database with bounded concurrency, plans each with planner.Diff and
// groups the databases whose plans are the same, so a plan over 10,000
// databases reads as a few groups.
//
// KV namespaces are shared by the fleet: one namespace per kv.namespace of
// the environment, as for a single database, listed once per fleet. A
// tenant's objects are the keys that start with "<database name>/"
// (hclspec.Spec.Tenant), so planning, backfilling or reconciling one
// database reads only its tenant's keys and never takes another tenant's
// objects for orphans.
package fleet
