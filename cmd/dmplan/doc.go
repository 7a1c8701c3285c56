// Command dmplan plans and applies additive schema changes for Cloudflare D1
// and Workers KV from *.dm.hcl model definitions.
//
//	dmplan validate [DIR]
//	dmplan fmt [-check] [-diff] [DIR]
//	dmplan plan [-env NAME] [-out FILE] [-format human|json|markdown] [-detailed-exitcode] [DIR]
//	dmplan apply [-env NAME] [-auto-approve] [DIR | PLANFILE]
//	dmplan show [-format human|json|markdown] PLANFILE
//	dmplan history [-env NAME] [-json] [-limit N] [DIR]
//	dmplan version
//
// Exit codes: 0 success, 1 error (including blocked changes in a plan),
// 2 changes present (plan -detailed-exitcode only).
package main
