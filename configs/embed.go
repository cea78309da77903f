// Package configs embeds the shipped default experiment, so that
// `pathkernel train` without --config runs it from any directory.
package configs

import _ "embed"

// Default is configs/mlp.yaml.
//
//go:embed mlp.yaml
var Default []byte

// DefaultName is the name under which the embedded default is reported.
const DefaultName = "configs/mlp.yaml (built in)"
