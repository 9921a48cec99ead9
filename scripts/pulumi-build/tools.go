//go:build tools

// Package tools pins the Pulumi CLI that scripts/toolchain.sh builds: `go build
// github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` inside this module uses the versions in go.mod.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
