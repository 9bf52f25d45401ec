// Command ratios summarises `go test -bench` output of ./bench: the median
// of every metric over the runs (-count), and each path's ratio to the
// floor of its group (and allocations' ratio to the direct call).
//
//	go test -run '^$' -bench . -benchmem -count 5 ./bench/ | tee bench.txt
//	go run ./bench/ratios < bench.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// line: "BenchmarkX/a/b-2   200   1234 ns/op   56 B/op   7 allocs/op   8.9 calls/s"
var procs = regexp.MustCompile(`-\d+$`)

type series map[string][]float64 // unit -> values

func main() {
	in := io.Reader(os.Stdin)
	if len(os.Args) > 1 {
		f, err := os.Open(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer f.Close()
		in = f
	}
	runs, order := parse(in)
	if len(order) == 0 {
		fmt.Fprintln(os.Stderr, "ratios: no benchmark lines in the input")
		os.Exit(1)
	}
	fmt.Print(render(runs, order))
}

func parse(r io.Reader) (map[string]series, []string) {
	runs := map[string]series{}
	var order []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := procs.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		s, ok := runs[name]
		if !ok {
			s = series{}
			runs[name] = s
			order = append(order, name)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			s[f[i+1]] = append(s[f[i+1]], v)
		}
	}
	return runs, order
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func split(name string) (group, path string) {
	i := strings.LastIndex(name, "/")
	if i < 0 {
		return name, ""
	}
	return name[:i], name[i+1:]
}

func render(runs map[string]series, order []string) string {
	var b strings.Builder
	fmt.Fprintln(&b, "| benchmark | path | runs | ns/op | × floor | B/op | allocs/op | allocs × direct | other (medians) |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|---|")
	for _, name := range order {
		group, path := split(name)
		s := runs[name]
		ratio := func(base, unit string) string {
			bs, ok := runs[group+"/"+base]
			if !ok && base == "floor" {
				// A group without a floor (Telemetry) compares to its
				// bare path.
				base = "bare"
				bs, ok = runs[group+"/"+base]
			}
			if !ok || median(bs[unit]) == 0 || base == path {
				return ""
			}
			return fmt.Sprintf("%.2f", median(s[unit])/median(bs[unit]))
		}
		var other []string
		for _, unit := range slices.Sorted(maps.Keys(s)) {
			switch unit {
			case "ns/op", "B/op", "allocs/op":
			default:
				other = append(other, fmt.Sprintf("%s %s", num(median(s[unit])), unit))
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | %s | %s | %s |\n", group, path, len(s["ns/op"]),
			num(median(s["ns/op"])), ratio("floor", "ns/op"), num(median(s["B/op"])), num(median(s["allocs/op"])),
			ratio("direct", "allocs/op"), strings.Join(other, ", "))
	}
	return b.String()
}

// num prints v with thousands separators (or two decimals below 100).
func num(v float64) string {
	if v < 100 {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	s := strconv.FormatInt(int64(v+0.5), 10)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
