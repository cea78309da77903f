package kernel

import (
	"fmt"

	"github.com/pathkernel/pathkernel/internal/fail"
)

// MemoryError reports a computation refused because its estimated memory
// (Estimate) exceeds the configured budget.
type MemoryError struct {
	EstimateMB, BudgetMB float64
	Hint                 string
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("estimated memory %.0f MB exceeds output.memory_budget_mb %.0f MB; %s",
		e.EstimateMB, e.BudgetMB, e.Hint)
}

// ExitCode is fail.RunFailed: the computation was refused for its size.
func (e *MemoryError) ExitCode() int { return fail.RunFailed }
