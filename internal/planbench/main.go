// Command planbench times `dmplan plan` as a whole process, the way a user
// or CI runs it: for each model count it writes generated models
// (internal/benchgen) to a directory, applies most of them to the local
// backend, writes them all, then runs `dmplan plan DIR` many times and
// reports the minimum, median and mean wall time and the median CPU time
// (user+system) of one process.
//
//	go run ./internal/planbench                       # builds dmplan, 50/200/400 models
//	go run ./internal/planbench -bin .bin/dmplan -models 200 -runs 100
//	go run ./internal/planbench -dir /tmp/pb -runs 0  # only prepare /tmp/pb/m200 etc.
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
	bin := flag.String("bin", "", "the dmplan binary (default: build ./cmd/dmplan)")
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
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build dmplan: %w", err)
		}
	}

	fmt.Printf("%-7s %5s %9s %9s %9s %9s\n", "models", "runs", "min", "median", "mean", "cpu(med)")
	medians := map[int]time.Duration{}
	for _, n := range counts {
		d := filepath.Join(root, fmt.Sprintf("m%d", n))
		if err := prepare(*bin, d, n, *applied); err != nil {
			return err
		}
		if *runs == 0 {
			fmt.Printf("%-7d prepared %s\n", n, d)
			continue
		}
		for range *warmup {
			if _, _, err := plan(*bin, d); err != nil {
				return err
			}
		}
		walls := make([]time.Duration, 0, *runs)
		cpus := make([]time.Duration, 0, *runs)
		for range *runs {
			wall, cpu, err := plan(*bin, d)
			if err != nil {
				return err
			}
			walls = append(walls, wall)
			cpus = append(cpus, cpu)
		}
		slices.Sort(walls)
		slices.Sort(cpus)
		var sum time.Duration
		for _, w := range walls {
			sum += w
		}
		medians[n] = walls[len(walls)/2]
		fmt.Printf("%-7d %5d %9s %9s %9s %9s\n", n, *runs, ms(walls[0]), ms(walls[len(walls)/2]),
			ms(sum/time.Duration(len(walls))), ms(cpus[len(cpus)/2]))
	}
	if a, b := medians[200], medians[400]; a > 0 && b > 0 {
		fmt.Printf("median 400/200: %.2fx\n", float64(b)/float64(a))
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

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + "ms"
}
