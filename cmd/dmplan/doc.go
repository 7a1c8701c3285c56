// Command dmplan plans and applies additive schema changes for Cloudflare D1
// and Workers KV from *.dm.hcl model definitions.
//
//	dmplan validate [-json] [DIR]
//	dmplan fmt [-check] [-diff] [DIR]
//	dmplan plan [-env NAME] [-target MODEL]... [-out FILE] [-format human|json|markdown] [-detailed-exitcode] [-parallel N] [DIR]
//	dmplan drift [-env NAME] [-json] [-parallel N] [DIR]
//	dmplan apply [-env NAME] [-target MODEL]... [-auto-approve] [-lock-timeout D] [-json] [DIR | PLANFILE]
//	dmplan show [-format human|json|markdown] PLANFILE
//	dmplan history [-env NAME] [-json] [-limit N] [DIR]
//	dmplan reconcile [-env NAME] [-database NAME] [-model M] [-fix] [-prune-orphans] [-json] [DIR]
//	dmplan force-unlock [-env NAME] [-force] ID [DIR]
//	dmplan completion bash|zsh|fish
//	dmplan version
//
// Every command takes -no-color; colour is also off with NO_COLOR set or
// when stdout is not a terminal. Exit codes: 0 success, 1 error (including
// blocked changes in a plan), 2 changes present (plan -detailed-exitcode
// only). DMPLAN_ENV names the default environment (-env wins; else
// "local"). A mistyped command or flag gets a "did you mean".
// DMPLAN_LOG=info|debug shows the runtime's and applier's logs on stderr;
// DMPLAN_ACTOR names who applied in the history.
//
// A saved plan is never run on trust: show and apply derive it again from
// the sources the file carries (show against the live schema it carries,
// apply against the target) and refuse it when a step differs, when it
// was applied already, or when it is stale. plan needs no seed secret (a
// seed whose variables are unset is planned with an unknown status);
// apply checks every variable the seeds read before it changes anything.
// Seeds run through the runtime's save path with the webhook runner, so
// a seeded record fires its HCL hooks; reconcile and backfill never save
// records and run without hooks.
package main
