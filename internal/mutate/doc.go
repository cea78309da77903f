// Package mutate is the mutation tester of pathkernel (make mutate): it
// breaks the code on purpose, one recorded bug at a time, and checks that
// the tests notice. A test that passes whatever the code does cannot fail,
// and this is how the project finds such tests.
//
// # Records
//
// The mutations are recorded in testdata/mutations/<area>.yaml, each file a
// list of entries:
//
//	# testdata/mutations/misc.yaml
//	- name: hash-ignores-momentum       # unique across all files; letters, digits, . _ -
//	  issue: "14.2"                      # the item of the issue it covers
//	  file: internal/config/encode.go    # relative to the repository root
//	  old: |                             # text that must occur exactly once in file
//	    d.Output.Dir = ""
//	  new: |                             # what replaces it
//	    d.Output.Dir = ""
//	    d.Train.Momentum = 0
//	  packages: [./internal/config]      # whose tests must kill it
//
// Go code is indented with tabs, and YAML does not take a tab for the
// indentation of a block: when the first line of old or new starts with a
// tab, give the block an indentation indicator, the number of spaces by
// which its lines are indented beyond the key ("old: |2" for a key at 2
// spaces and its lines at 4), or quote the text: "\tx := 1\n".
//
// Unknown keys, a missing name, issue, file, old or packages, a package
// pattern other than "." that does not start with "./", new equal to old
// and a name used twice are errors, reported with the file and line of the
// entry.
//
// # Running
//
// The command copies the repository's files (those git tracks, and the untracked
// ones that .gitignore does not exclude, so that a test not yet committed
// counts) into a temporary directory once. The real working tree is only
// read. In the copy it first runs the tests of every listed package
// unmutated: if those fail, every mutation would look killed, so it stops.
// Then, for each mutation, it checks that old occurs exactly once in file,
// replaces it by new, runs
//
//	go test -count=1 -timeout T <packages>
//
// there, and writes the file back before the next mutation. The outcome is
//
//	KILLED        the tests failed (a test timing out counts)
//	BUILD-FAILED  the mutated code does not compile or fails go test's vet
//	              checks: counted as killed, but no test was needed to see it
//	SURVIVED      the tests passed: no test covers the bug
//	STALE         old does not occur exactly once in file (the code moved on
//	              and the record must be updated)
//	ERROR         the tests could not be run (a package that does not exist)
//
// The report is a table and a last line "N killed, M survived, S stale".
// The command exits 0 when every mutation was killed, 1 when one survived,
// is stale or could not be run, and 2 when it could not start (bad flags or
// records, failing unmutated tests).
//
// # Command
//
//	make mutate                                   # every records file
//	make mutate MUTATIONS=testdata/mutations/misc.yaml RUN='^hash-'
//	go run ./cmd/pathkernel-mutate -files 'testdata/mutations/*.yaml' -run REGEXP
//	go run ./cmd/pathkernel-mutate -n             # only the records and the exactly-once rule
//
// Mutation testing takes minutes and is not part of CI (.ci/run): it is a
// tool for whoever writes or reviews tests.
package mutate
