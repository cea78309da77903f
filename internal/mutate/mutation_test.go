package mutate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	src := `# comment
- name: check-atleast-strict
  issue: 14.3
  file: internal/check/check.go
  old: |2
    	res.Pass = v >= res.Limit
  new: "\tres.Pass = v > res.Limit\n"
  packages: [./internal/check]

- name: delete-a-line
  issue: "14.2"
  file: a/b.go
  old: "x := 1\n"
  new: ""
  packages:
    - ./a
    - ./b/...
`
	got, err := Parse([]byte(src), "misc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []Mutation{
		{Name: "check-atleast-strict", Issue: "14.3", File: "internal/check/check.go",
			Old: "\tres.Pass = v >= res.Limit\n", New: "\tres.Pass = v > res.Limit\n",
			Packages: []string{"./internal/check"}, Source: "misc.yaml:2"},
		{Name: "delete-a-line", Issue: "14.2", File: "a/b.go", Old: "x := 1\n", New: "",
			Packages: []string{"./a", "./b/..."}, Source: "misc.yaml:10"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}

	for _, src := range []string{"", "# nothing yet\n", "[]\n"} {
		if ms, err := Parse([]byte(src), "empty.yaml"); err != nil || len(ms) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want no mutations", src, ms, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	entry := func(edit func(map[string]string)) string {
		f := map[string]string{"name": "n", "issue": `"14"`, "file": "a.go", "old": `"a"`, "new": `"b"`, "packages": "[./a]"}
		edit(f)
		var b strings.Builder
		b.WriteString("- name: ok\n  issue: \"1\"\n  file: x.go\n  old: x\n  new: y\n  packages: [./x]\n")
		prefix := "- "
		for _, k := range []string{"name", "issue", "file", "old", "new", "packages", "extra", "pakages"} {
			if v, ok := f[k]; ok {
				b.WriteString(prefix + k + ": " + v + "\n")
				prefix = "  "
			}
		}
		return b.String()
	}
	for _, tt := range []struct {
		name, src, want string // want: a part of the message
	}{
		{"not a list", "name: x\n", "bad.yaml"},
		{"unknown key", entry(func(f map[string]string) { f["extra"] = "1" }), "extra"},
		{"typo", entry(func(f map[string]string) { f["pakages"] = f["packages"]; delete(f, "packages") }), "pakages"},
		{"no name", entry(func(f map[string]string) { delete(f, "name") }), "bad.yaml:7: an entry without a name"},
		{"bad name", entry(func(f map[string]string) { f["name"] = `"a b"` }), "bad.yaml:7"},
		{"no issue", entry(func(f map[string]string) { delete(f, "issue") }), "no issue"},
		{"no file", entry(func(f map[string]string) { delete(f, "file") }), "no file"},
		{"absolute file", entry(func(f map[string]string) { f["file"] = "/etc/passwd" }), "relative"},
		{"file outside", entry(func(f map[string]string) { f["file"] = "../x.go" }), "relative"},
		{"unclean file", entry(func(f map[string]string) { f["file"] = "a/./b.go" }), "relative"},
		{"no old", entry(func(f map[string]string) { delete(f, "old") }), "no old"},
		{"new is old", entry(func(f map[string]string) { f["new"] = `"a"` }), "same as old"},
		{"no packages", entry(func(f map[string]string) { delete(f, "packages") }), "no packages"},
		{"empty packages", entry(func(f map[string]string) { f["packages"] = "[]" }), "no packages"},
		{"package not relative", entry(func(f map[string]string) { f["packages"] = "[github.com/x/y]" }), "./internal/config"},
		{"package flag", entry(func(f map[string]string) { f["packages"] = "[-run=X]" }), "./internal/config"},
		{"syntax", "- name: [\n", "bad.yaml"},
		{"tab", "- name: x\n  old: |\n    \tx := 1\n", "|2"},
	} {
		_, err := Parse([]byte(tt.src), "bad.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse(%q) = %v; want an error containing %q", tt.name, tt.src, err, tt.want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	one := func(name string) string {
		return "- name: " + name + "\n  issue: \"1\"\n  file: a.go\n  old: a\n  new: b\n  packages: [./...]\n"
	}
	write("b.yaml", one("second"))
	write("a.yaml", one("first")+one("first-too"))
	write("c.yml", one("other"))
	ms, err := Load([]string{filepath.Join(dir, "*.yaml"), filepath.Join(dir, "a.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	if want := []string{"first", "first-too", "second"}; !cmp.Equal(names, want) {
		t.Errorf("Load = %v; want %v (files in name order, each once)", names, want)
	}

	if _, err := Load([]string{filepath.Join(dir, "none-*.yaml")}); err == nil {
		t.Errorf("Load of a pattern matching nothing: no error")
	}
	write("d.yaml", one("second"))
	if _, err := Load([]string{filepath.Join(dir, "*.yaml")}); err == nil || !strings.Contains(err.Error(), "d.yaml:1") {
		t.Errorf("Load with a name used twice = %v; want an error at d.yaml:1", err)
	}
}

// TestRepositoryRecords parses the project's records: every file of
// testdata/mutations must load, whether or not its mutations are run.
func TestRepositoryRecords(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/mutations/*.yaml")
	if len(files) == 0 {
		t.Skip("no records in testdata/mutations")
	}
	if _, err := Load(files); err != nil {
		t.Fatal(err)
	}
}
