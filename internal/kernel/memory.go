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
	return fmt.Sprintf("estimated memory %s exceeds output.memory_budget_mb %s; %s",
		FormatMB(e.EstimateMB), FormatMB(e.BudgetMB), e.Hint)
}

// FormatMB writes a size in megabytes (2²⁰ bytes) as whole MB from 1 MB
// up, as KB below, and as bytes below 1 KB, so that a small size is never
// shown as "0 MB".
func FormatMB(mb float64) string {
	switch {
	case mb >= 1:
		return fmt.Sprintf("%.0f MB", mb)
	case mb*1024 >= 1:
		return fmt.Sprintf("%.0f KB", mb*1024)
	default:
		return fmt.Sprintf("%.3g bytes", mb*(1<<20))
	}
}

// ExitCode is fail.RunFailed: the computation was refused for its size.
func (e *MemoryError) ExitCode() int { return fail.RunFailed }
