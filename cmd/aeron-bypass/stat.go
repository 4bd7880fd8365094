package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/aeron-bypass/aeron-bypass/driver/shm/cnc"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/errorlog"
)

// openCnC maps the cnc.dat of the configured aeron.dir for reading.
func openCnC(cmd *cobra.Command) (*cnc.File, error) {
	cfg, err := loadConfig(cmd, newLogger())
	if err != nil {
		return nil, err
	}
	f, err := cnc.Open(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("open %s in %s (is a driver running there?): %w", cnc.FileName, cfg.Dir, err)
	}
	return f, nil
}

func newStatCommand() *cobra.Command {
	var (
		once     bool
		interval time.Duration
		count    int
	)
	cmd := &cobra.Command{
		Use:   "stat",
		Short: "Print the driver's counters (id, value, label) as Aeron's AeronStat does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if interval <= 0 {
				return fmt.Errorf("--interval %v: must be positive", interval)
			}
			f, err := openCnC(cmd)
			if err != nil {
				return err
			}
			defer f.Close()
			r := counters.NewReader(f.CountersMetadata(), f.CountersValues())
			out := cmd.OutOrStdout()
			if once {
				count = 1
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			tick := time.NewTicker(interval)
			defer tick.Stop()
			// count 0 refreshes until a signal arrives.
			for n := 0; count == 0 || n < count; n++ {
				if n > 0 {
					select {
					case <-ctx.Done():
						return nil
					case <-tick.C:
					}
				}
				printCounters(out, f, r)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "print one snapshot and exit")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "time between snapshots")
	cmd.Flags().IntVar(&count, "count", 0, "number of snapshots, 0 until interrupted")
	return cmd
}

func printCounters(w io.Writer, f *cnc.File, r *counters.Reader) {
	now := time.Now()
	fmt.Fprintf(w, "%s - Aeron Stat (CnC v%s), pid %d, heartbeat age %dms\n",
		now.Format("15:04:05"), cncVersion, f.PID(), now.UnixMilli()-f.DriverHeartbeatMs())
	fmt.Fprintln(w, "======================================================================")
	r.ForEach(func(id, _ int32, _ []byte, label string) {
		fmt.Fprintf(w, "%3d: %20d - %s\n", id, r.CounterValue(id), label)
	})
	fmt.Fprintln(w, "--")
}

func newErrorsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "errors",
		Short: "Print the driver's distinct error log as Aeron's ErrorStat does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := openCnC(cmd)
			if err != nil {
				return err
			}
			defer f.Close()
			out := cmd.OutOrStdout()
			const layout = "2006-01-02 15:04:05.000-0700"
			n := errorlog.Read(f.ErrorLog(), func(count int32, firstMs, lastMs int64, text string) {
				fmt.Fprintf(out, "***\n%d observations from %s to %s for:\n %s\n", count,
					time.UnixMilli(firstMs).Format(layout), time.UnixMilli(lastMs).Format(layout), text)
			}, 0)
			fmt.Fprintf(out, "\n%d distinct errors observed.\n", n)
			return nil
		},
	}
	return cmd
}
