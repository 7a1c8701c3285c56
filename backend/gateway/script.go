package gateway

import "github.com/dmplan/dmplan/backend/gateway/worker"

// The Worker's contract, defined in package backend/gateway/worker (which
// imports nothing of dmplan, for the planner and the deploy step) and
// re-exported here.
const (
	Version               = worker.Version
	CompatibilityDate     = worker.CompatibilityDate
	MainModule            = worker.MainModule
	BindingD1             = worker.BindingD1
	BindingConfig         = worker.BindingConfig
	BindingSecret         = worker.BindingSecret
	BindingSecretPrevious = worker.BindingSecretPrevious
	TypeD1                = worker.TypeD1
	TypeKVNamespace       = worker.TypeKVNamespace
	TypePlainText         = worker.TypePlainText
	TypeSecretText        = worker.TypeSecretText
)

type (
	// Config is the DMPLAN_CONFIG binding (worker.Config).
	Config = worker.Config
	// Database names the D1 database a gateway is bound to.
	Database = worker.Database
	// Namespace is one KV namespace binding of a gateway.
	Namespace = worker.Namespace
	// Binding is one metadata binding of a script upload.
	Binding = worker.Binding
)

// ErrInvalidConfig is wrapped by Config.Validate's errors.
var ErrInvalidConfig = worker.ErrInvalidConfig

// Script returns the Worker's ES module source (a copy).
func Script() []byte { return worker.Script() }

// Speaks reports whether this package can use a gateway reporting version
// v (see worker.Speaks).
func Speaks(v string) bool { return worker.Speaks(v) }

// CheckSecret reports why a secret could not be presented to a gateway
// (see worker.CheckSecret); Open and `dmplan apply` refuse such a secret.
func CheckSecret(s string) error { return worker.CheckSecret(s) }
