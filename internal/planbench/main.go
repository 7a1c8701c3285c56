// Command planbench times `dmplan plan` as a whole process, the way a user
// or CI runs it: for each model count it writes generated models
// (internal/benchgen) to a directory, applies most of them to the local
// backend, writes them all, then runs `dmplan plan DIR` many times and
// reports the minimum, median and mean wall time and the median CPU time
// (user+system) of one process.
//
//	go run ./internal/planbench                       # builds dmplan as make build does, 50/200/400 models
//	go run ./internal/planbench -bin .bin/dmplan -models 200 -runs 100
//	go run ./internal/planbench -dir /tmp/pb -runs 0  # only prepare /tmp/pb/m200 etc.
//	go run ./internal/planbench -bin old/dmplan,new/dmplan  # compare, runs interleaved
//
// With several binaries the runs alternate between them, so a machine
// whose load changes during the measurement weighs on each alike.
//
// The prepared directories can be handed to other tools as well, for
// example `hyperfine 'dmplan plan /tmp/pb/m200'` or `perf stat`.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dmplan/dmplan/internal/benchgen"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "planbench:", err)
		os.Exit(1)
	}
}

func run() error {
	bin := flag.String("bin", "", "the dmplan binary, or several separated by commas (default: build ./cmd/dmplan)")
	models := flag.String("models", "50,200,400", "comma-separated model counts")
	runs := flag.Int("runs", 40, "timed runs per model count (0: only prepare)")
	warmup := flag.Int("warmup", 3, "untimed runs before timing")
	applied := flag.Float64("applied", 0.9, "share of the models applied before timing")
	dir := flag.String("dir", "", "where to prepare the model directories (default: a temporary one, removed after)")
	flag.Parse()

	var counts []int
	for _, s := range strings.Split(*models, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("bad model count %q", s)
		}
		counts = append(counts, n)
	}
	root := *dir
	if root == "" {
		tmp, err := os.MkdirTemp("", "planbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		root = tmp
	}
	if *bin == "" {
		*bin = filepath.Join(root, "dmplan")
		build := exec.Command("go", "build", "-o", *bin, "./cmd/dmplan")
		build.Env = append(os.Environ(), "CGO_ENABLED=0") // as make build
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build dmplan: %w", err)
		}
	}

	bins := strings.Split(*bin, ",")
	fmt.Printf("%-7s %-24s %5s %9s %9s %9s %9s\n", "models", "binary", "runs", "min", "median", "mean", "cpu(med)")
	medians := map[string]map[int]time.Duration{}
	for _, n := range counts {
		d := filepath.Join(root, fmt.Sprintf("m%d", n))
		if err := prepare(bins[0], d, n, *applied); err != nil {
			return err
		}
		if *runs == 0 {
			fmt.Printf("%-7d prepared %s\n", n, d)
			continue
		}
		for range *warmup {
			for _, b := range bins {
				if _, _, err := plan(b, d); err != nil {
					return err
				}
			}
		}
		walls := make([][]time.Duration, len(bins))
		cpus := make([][]time.Duration, len(bins))
		for range *runs {
			for i, b := range bins {
				wall, cpu, err := plan(b, d)
				if err != nil {
					return err
				}
				walls[i] = append(walls[i], wall)
				cpus[i] = append(cpus[i], cpu)
			}
		}
		for i, b := range bins {
			w, c := walls[i], cpus[i]
			slices.Sort(w)
			slices.Sort(c)
			var sum time.Duration
			for _, x := range w {
				sum += x
			}
			if medians[b] == nil {
				medians[b] = map[int]time.Duration{}
			}
			medians[b][n] = w[len(w)/2]
			fmt.Printf("%-7d %-24s %5d %9s %9s %9s %9s\n", n, short(b), len(w), ms(w[0]), ms(w[len(w)/2]),
				ms(sum/time.Duration(len(w))), ms(c[len(c)/2]))
		}
	}
	for _, b := range bins {
		if a, c := medians[b][200], medians[b][400]; a > 0 && c > 0 {
			fmt.Printf("%s: median 400/200 = %.2fx\n", short(b), float64(c)/float64(a))
		}
	}
	return nil
}

// prepare writes round(applied*n) models to dir, applies them to the local
// backend in dir/.dmplan, then writes all n, so that a plan finds most
// tables present and a few to create.
func prepare(bin, dir string, n int, applied float64) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := benchgen.WriteDir(dir, int(float64(n)*applied+0.5)); err != nil {
		return fmt.Errorf("write models: %w", err)
	}
	apply := exec.Command(bin, "apply", "-auto-approve", "-no-color", dir)
	out, err := apply.CombinedOutput()
	if err != nil {
		return fmt.Errorf("apply %d models: %w\n%s", n, err, out)
	}
	if err := benchgen.WriteDir(dir, n); err != nil {
		return fmt.Errorf("write models: %w", err)
	}
	return nil
}

// plan runs `dmplan plan dir` once and returns its wall and CPU time.
func plan(bin, dir string) (wall, cpu time.Duration, err error) {
	cmd := exec.Command(bin, "plan", "-no-color", dir)
	cmd.Stdout = io.Discard
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	wall = time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("dmplan plan %s: %w\n%s", dir, err, stderr.String())
	}
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// short names a binary by its last two path elements.
func short(bin string) string {
	dir, file := filepath.Split(filepath.Clean(bin))
	return filepath.Join(filepath.Base(dir), file)
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + "ms"
}
