package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/aeron-bypass/aeron-bypass/driver"
	"github.com/aeron-bypass/aeron-bypass/driver/config"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/cnc"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Compatibility of this build with Aeron: the release whose client, samples
// and tools the interoperability tests run, and the cnc.dat layout version.
const aeronVersion = "1.51.0"

var cncVersion = cnc.VersionString(cnc.Version)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "aeron-bypass",
		Short: "An Aeron media driver with a kernel-bypass network path",
		Long: "aeron-bypass is an Aeron media driver. Aeron clients (Java, C, Go) use it through\n" +
			"aeron.dir exactly as they use Aeron's own drivers. With no subcommand it runs the driver.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDriver(cmd.Context(), cmd)
		},
	}
	config.RegisterFlags(root.PersistentFlags())
	root.AddCommand(newProbeCommand(), newVersionCommand(), newStatCommand(), newErrorsCommand())
	return root
}

func newLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// loadConfig resolves the configuration and logs what it ignored.
func loadConfig(cmd *cobra.Command, log *slog.Logger) (config.Config, error) {
	cfg, notices, err := config.Load(config.Source{Flags: cmd.Flags(), Environ: os.Environ()})
	if err != nil {
		return config.Config{}, err
	}
	for _, n := range notices {
		log.Warn(string(n))
	}
	return cfg, nil
}

func runDriver(ctx context.Context, cmd *cobra.Command) error {
	log := newLogger()
	cfg, err := loadConfig(cmd, log)
	if err != nil {
		return err
	}
	if cfg.PrintConfiguration {
		cfg.Print(os.Stdout)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := driver.New(cfg, driver.WithLogger(log))
	if err != nil {
		return err
	}
	if err := d.Start(); err != nil {
		d.Close()
		return err
	}
	<-ctx.Done()
	log.Info("stopping on signal")
	return d.Close()
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the Aeron compatibility",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "aeron-bypass %s (%s, %s/%s)\ncompatible with Aeron %s, CnC file version %s\n",
				version, runtime.Version(), runtime.GOOS, runtime.GOARCH, aeronVersion, cncVersion)
		},
	}
}
