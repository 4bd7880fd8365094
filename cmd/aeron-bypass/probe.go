package main

import (
	"github.com/aeron-bypass/aeron-bypass/driver"

	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/driver/config"
)

// probeReport is the JSON shape of `probe --json`.
type probeReport struct {
	Chosen   string                `json:"chosen"`
	Backends []backend.ProbeResult `json:"backends"`
}

func newProbeCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Say which network backends can run here, why, and which one auto picks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, newLogger())
			if err != nil {
				return err
			}
			opts, err := driver.BackendOptions(cfg)
			if err != nil {
				return err
			}
			results := backend.Probe(opts)
			report := probeReport{Backends: results}
			for _, r := range results {
				if r.Available {
					report.Chosen = r.Name
					break
				}
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(report)
			}
			return printProbe(cmd, cfg, report)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: {\"chosen\": NAME, \"backends\": [...]}")
	return cmd
}

func printProbe(cmd *cobra.Command, cfg config.Config, report probeReport) error {
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "BACKEND\tAVAILABLE\tINTERFACE\tQUEUES\tMODE\tREASON")
	for _, r := range report.Backends {
		queues := "-"
		if len(r.Queues) > 0 {
			q := make([]string, len(r.Queues))
			for i, v := range r.Queues {
				q[i] = fmt.Sprint(v)
			}
			queues = strings.Join(q, ",")
		}
		fmt.Fprintf(w, "%s\t%v\t%s\t%s\t%s\t%s\n", r.Name, r.Available, orDash(r.Interface), queues, orDash(r.Mode), r.Reason)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	chosen := report.Chosen
	if chosen == "" {
		chosen = "none"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "\nauto picks: %s (requested: %s)\n", chosen, cfg.Backend)
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
