// Command cpor runs CPOR Claims: the web server and its maintenance commands.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"cpor/handlers"
	"cpor/models"
)

const usage = `cpor — CPOR Claims

Usage:
  cpor serve [--migrate]          serve HTTP on CPOR_ADDR (dev mode migrates and seeds demo data)
  cpor migrate                    apply pending database migrations
  cpor seed --demo                load the demo data (SPEC §7) if it is not there
  cpor seed --claims N            build a large synthetic dataset of N claims
  cpor backup FILE                copy the live database consistently to FILE
  cpor user create --email E --role incentives-admin|incentives-user|reviewer|operator [--org NAME] [--password-stdin]
  cpor directory import FILE.csv  import tenant directory rows (all or nothing)

Environment:
`

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cpor:", err)
		os.Exit(1)
	}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	for _, v := range envVars {
		fmt.Fprintf(w, "  %-26s %s\n", v[0], v[1])
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		return nil
	}
	cfg, err := loadConfig(os.Getenv)
	// Only serve needs the session key; maintenance commands run without one.
	if err != nil && args[0] == "serve" {
		return fmt.Errorf("configuration:\n%w", err)
	}
	switch args[0] {
	case "serve":
		return serve(cfg, args[1:], stdout, stderr)
	case "migrate":
		return withDB(cfg, false, func(db *models.DB, _ *models.Store) error {
			applied, err := db.Migrate()
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "schema at version %d (applied %v)\n", models.LatestSchema(), applied)
			return nil
		})
	case "seed":
		return seed(cfg, args[1:], stdout)
	case "backup":
		if len(args) != 2 {
			return errors.New("usage: cpor backup FILE")
		}
		return withDB(cfg, true, func(db *models.DB, _ *models.Store) error {
			if err := db.Backup(args[1]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "backup written to %s\n", args[1])
			return nil
		})
	case "user":
		return userCmd(cfg, args[1:], stdin, stdout)
	case "directory":
		if len(args) != 3 || args[1] != "import" {
			return errors.New("usage: cpor directory import FILE.csv")
		}
		return directoryImport(cfg, args[2], stdout)
	}
	printUsage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

// withDB opens the database for a maintenance command; mustBeCurrent
// refuses to touch an outdated schema.
func withDB(cfg Config, mustBeCurrent bool, fn func(*models.DB, *models.Store) error) error {
	db, err := models.Open(cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	if mustBeCurrent {
		if err := db.CheckSchema(); err != nil {
			return err
		}
	}
	return fn(db, models.NewStore(db, models.StoreOptions{Location: cfg.Timezone, PublicURL: cfg.PublicURL, Composer: composer()}))
}

func newLogger(dev bool, w io.Writer) *slog.Logger {
	if dev {
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func serve(cfg Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	migrate := fs.Bool("migrate", false, "apply pending migrations before serving")
	if err := fs.Parse(args); err != nil {
		return err
	}
	start := time.Now()
	log := newLogger(cfg.Dev, stderr)
	if cfg.Dev && len(cfg.SessionKey) == 0 {
		// Dev mode only: a fresh key per start (sessions end on restart).
		cfg.SessionKey = make([]byte, 32)
		_, _ = rand.Read(cfg.SessionKey)
	}
	sender, err := newSender(cfg)
	if err != nil {
		return err
	}
	app, err := handlers.NewApp(handlers.AppOptions{
		DBPath:   cfg.DB,
		Migrate:  *migrate || cfg.Dev,
		Location: cfg.Timezone,
		Sender:   sender,
		MailFrom: cfg.MailFrom,
		Log:      log,
		Web: handlers.Config{
			PublicURL:               cfg.PublicURL,
			SecureCookies:           strings.HasPrefix(cfg.PublicURL, "https://"),
			SessionKey:              cfg.SessionKey,
			Dev:                     cfg.Dev,
			TrustedProxies:          cfg.TrustedProxies,
			LoginFailuresPerAccount: cfg.RateLoginAccount,
			LoginFailuresPerAddress: cfg.RateLoginAddress,
			LoginWindow:             cfg.RateLoginWindow,
			LinkRequestsPerMinute:   cfg.RateLinkPerMinute,
		},
	})
	if err != nil {
		return err
	}
	defer app.Close() // the database closes last, after server and worker stopped

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if cfg.Dev {
		seeded, err := app.Store.SeedDemo(ctx)
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		printDemo(stdout, cfg, seeded)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           app.HTTP,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	workerCtx, stopWorker := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); app.Worker.Run(workerCtx) }()

	if cfg.PprofAddr != "" {
		// Profiling for measurements only, on its own (loopback) listener.
		go func() { log.Info("pprof", "err", http.ListenAndServe(cfg.PprofAddr, pprofMux())) }()
	}
	if !app.DB.PlannerStable() {
		log.Warn("SQLite was built without SQLITE_ENABLE_QPSG: queries are planned again on every run, several times slower; build with make")
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("serving", "addr", "http://"+ln.Addr().String(), "public_url", cfg.PublicURL, "db", cfg.DB,
		"startup_ms", time.Since(start).Milliseconds(), "mail", senderName(cfg))
	fmt.Fprintf(stdout, "CPOR Claims is serving on http://%s (started in %d ms)\n", ln.Addr(), time.Since(start).Milliseconds())

	select {
	case err := <-serveErr:
		stopWorker()
		wg.Wait()
		return err
	case <-ctx.Done():
	}
	// Graceful stop: refuse new connections, let requests finish, then drain
	// the worker's current pass; the deferred Close shuts the database last.
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Error("http shutdown", "err", err)
	}
	stopWorker()
	wg.Wait()
	log.Info("stopped")
	return nil
}

// pprofMux serves the runtime profiles of net/http/pprof.
func pprofMux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("/debug/pprof/", pprof.Index)
	m.HandleFunc("/debug/pprof/profile", pprof.Profile)
	m.HandleFunc("/debug/pprof/heap", pprof.Index)
	return m
}

func newSender(cfg Config) (models.Sender, error) {
	if cfg.SMTPURL == "" {
		return models.FileSender{Dir: filepath.Join(filepath.Dir(cfg.DB), "mail")}, nil
	}
	return models.NewSMTPSender(cfg.SMTPURL)
}

func senderName(cfg Config) string {
	if cfg.SMTPURL == "" {
		return "eml files in " + filepath.Join(filepath.Dir(cfg.DB), "mail")
	}
	return "smtp"
}

func printDemo(w io.Writer, cfg Config, seeded bool) {
	if seeded {
		fmt.Fprintln(w, "Demo data loaded.")
	}
	fmt.Fprintf(w, "Demo accounts (password %q):\n", models.DemoPassword)
	for _, a := range models.DemoAccounts {
		org := ""
		if a.Org != "" {
			org = " — " + a.Org
		}
		fmt.Fprintf(w, "  %-30s %s%s\n", a.Email, a.Role, org)
	}
	fmt.Fprintf(w, "Emails are written to %s\n", senderName(cfg))
}

func seed(cfg Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	demo := fs.Bool("demo", false, "load the demo data")
	claims := fs.Int("claims", 0, "build a large dataset with this many claims (e.g. 1000000)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*demo && *claims == 0 {
		return errors.New("usage: cpor seed --demo | --claims N")
	}
	return withDB(cfg, false, func(db *models.DB, s *models.Store) error {
		if _, err := db.Migrate(); err != nil {
			return err
		}
		if *demo {
			seeded, err := s.SeedDemo(context.Background())
			if err != nil {
				return err
			}
			if seeded {
				fmt.Fprintln(stdout, "demo data loaded")
			} else {
				fmt.Fprintln(stdout, "demo data already present")
			}
		}
		if *claims > 0 {
			return seedClaims(s, *claims, stdout)
		}
		return nil
	})
}

func userCmd(cfg Config, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: cpor user create --email E --role ROLE [--org NAME] [--password-stdin]")
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	email := fs.String("email", "", "email address")
	roleName := fs.String("role", "", "incentives-admin, incentives-user, reviewer or operator")
	org := fs.String("org", "", "partner organisation name (partner roles)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	role, ok := models.ParseRole(*roleName)
	if !ok {
		return fmt.Errorf("--role must be incentives-admin, incentives-user, reviewer or operator")
	}
	if !models.ValidEmail(*email) {
		return fmt.Errorf("--email must be an email address")
	}
	pw := ""
	if *pwStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		pw = strings.TrimRight(line, "\r\n")
		if msg := models.ValidatePassword(pw); msg != "" {
			return fmt.Errorf("password must be at least %d characters", models.MinPasswordLength)
		}
	}
	return withDB(cfg, true, func(db *models.DB, s *models.Store) error {
		link, err := s.CreateUserCLI(context.Background(), models.NewUser{Email: *email, Role: role, Password: pw}, *org)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s (%s)\n", *email, role)
		if link != "" {
			fmt.Fprintf(stdout, "one-time set-password link (valid %s):\n%s\n", models.InviteLinkTTL, link)
		}
		return nil
	})
}

func directoryImport(cfg Config, path string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return withDB(cfg, true, func(db *models.DB, s *models.Store) error {
		rep, err := s.ImportDirectory(context.Background(), models.Actor{Label: "cli"}, f)
		if errors.Is(err, models.ErrImportRejected) {
			for _, e := range rep.Errors {
				fmt.Fprintf(stdout, "line %d: %s\n", e.Line, importReason(e))
			}
			return fmt.Errorf("nothing imported: %d bad rows", len(rep.Errors))
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported %d rows\n", rep.Applied)
		return nil
	})
}
