// Command omen runs omen's algorithms on CSV files. Its interface is the stable command-line
// contract of DESIGN.md, used by the benchmark comparisons and by outside acceptance checks.
//
//	omen iforest -train TRAIN.csv [-score SCORE.csv] [-label label] [-trees 100] [-sample-size 256] [-seed 1] [-extension 0]
//	omen arima   -in SERIES.csv [-order p,d,q] [-seasonal P,D,Q,m] [-period m] [-mean] [-drift] [-auto] [-method css-ml|ml|css] [-h 5] [-level 95]
//	omen stream  -in SERIES.csv
//
// Results go to standard output. Bad input exits with status 1 and one line on standard error that
// names the file, row and column; a partial result is never printed as if it were whole. In the
// CSV files an empty cell (in a one-column file, a blank line) or NA is a missing value, which
// arima keeps in its place; stream's timestamps must increase strictly from row to row.
// COMMAND -help prints a command's flags.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
)

// command is one subcommand: run parses args and writes its whole result to stdout, or returns an
// error before writing anything.
type command struct {
	summary string
	run     func(args []string, stdout io.Writer) error
}

// commands is filled by the init functions of the subcommand files.
var commands = map[string]command{}

func register(name, summary string, run func(args []string, stdout io.Writer) error) {
	if _, dup := commands[name]; dup {
		panic("omen: command registered twice: " + name)
	}
	commands[name] = command{summary: summary, run: run}
}

func main() {
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

// runMain runs one subcommand and returns the process exit status. Output is buffered and written
// only when the command succeeds, so a failure never leaves a partial result on stdout.
func runMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "omen: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	out := &deferredWriter{}
	if err := cmd.run(args[1:], out); err != nil {
		fmt.Fprintf(stderr, "omen %s: %v\n", args[0], err)
		return 1
	}
	w := bufio.NewWriter(stdout)
	if _, err := w.Write(out.buf); err != nil {
		fmt.Fprintf(stderr, "omen %s: writing output: %v\n", args[0], err)
		return 1
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "omen %s: writing output: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: omen <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-8s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nrun 'omen <command> -help' for the flags of a command")
}

// deferredWriter collects a command's output in memory until the command has succeeded.
type deferredWriter struct{ buf []byte }

func (d *deferredWriter) Write(p []byte) (int, error) {
	d.buf = append(d.buf, p...)
	return len(p), nil
}

// formatFloat prints v with full precision, as the contract requires.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// parseFlags parses a command's args with fs, whose name is the command's. With -help it prints
// usage and the flags on stdout and reports help; a bad flag or a stray argument is an error
// that says how to see the flags.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer, usage string) (help bool, err error) {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintln(stdout, "usage: "+usage)
			fs.PrintDefaults()
			return true, nil
		}
		return false, fmt.Errorf("%v (run 'omen %s -help' for the flags)", err, fs.Name())
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return false, nil
}
