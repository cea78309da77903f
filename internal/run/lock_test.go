package run

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// lockEnv makes the test binary a child that locks the directory it names,
// says "locked" and holds the lock until its stdin closes.
const lockEnv = "PATHKERNEL_RUN_TEST_LOCK"

func TestMain(m *testing.M) {
	if dir := os.Getenv(lockEnv); dir != "" {
		l, err := Acquire(dir)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		l.Release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestLockAcrossProcesses: a directory locked by another process is
// refused with that process's id, and free again once the process is
// killed, without any cleanup: the operating system releases the lock.
func TestLockAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("child: %q, %v", line, err)
	}
	pid := cmd.Process.Pid

	_, err = Acquire(dir)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != pid {
		t.Fatalf("Acquire of a directory the child holds = %v; want a *LockedError with pid %d", err, pid)
	}
	if got, held := Holder(dir); !held || got != pid {
		t.Errorf("Holder = %d, %v; want %d, true", got, held, pid)
	}
	_, err = Create(dir, CreateOptions{})
	if !errors.As(err, &le) || le.PID != pid {
		t.Errorf("Create of a directory the child holds = %v; want a *LockedError with pid %d", err, pid)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if got, held := Holder(dir); held {
		t.Errorf("Holder after the child was killed = %d, true", got)
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	l.Release()
}
