// Package view renders what dmplan commands produce — plans, apply results,
// history, HCL diagnostics and errors — in three formats: human (lipgloss,
// colour optional), JSON (versioned, stable snake_case names) and markdown
// (a pull-request comment under GitHub's size limit). Commands build their
// view before doing any work and hand it plain data; views never compute.
package view
