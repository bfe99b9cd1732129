package handlers

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views"
	"cpor/views/emails"
)

// App is the running product: the database, the store, the background
// worker and the HTTP handler. The CLI's serve and the tests build it alike.
type App struct {
	DB     *models.DB
	Store  *models.Store
	Worker *models.Worker
	HTTP   *echo.Echo
}

// AppOptions configures NewApp.
type AppOptions struct {
	DBPath   string
	Migrate  bool // apply pending migrations instead of refusing an outdated schema
	Web      Config
	Clock    models.Clock
	Location *time.Location
	Sender   models.Sender
	MailFrom string
	Log      *slog.Logger
}

// NewApp opens the database, checks its schema and wires everything.
func NewApp(o AppOptions) (*App, error) {
	db, err := models.Open(o.DBPath)
	if err != nil {
		return nil, err
	}
	if o.Migrate {
		if _, err := db.Migrate(); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := db.CheckSchema(); err != nil {
		db.Close()
		return nil, err
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	// The display zone is a package variable of views: set it only when it
	// changes, so apps built side by side (parallel tests) do not race on it.
	if views.Zone() != o.Location {
		views.SetZone(o.Location)
	}
	store := models.NewStore(db, models.StoreOptions{
		Clock: o.Clock, Location: o.Location, PublicURL: o.Web.PublicURL, Composer: emails.Composer{},
	})
	worker := models.NewWorker(store, o.Sender, o.MailFrom, o.Log)
	if len(o.Web.SessionKey) < 32 {
		db.Close()
		return nil, fmt.Errorf("session key must be at least 32 bytes")
	}
	return &App{DB: db, Store: store, Worker: worker, HTTP: New(o.Web, store, worker, o.Log)}, nil
}

// Close closes the database; call it after the server and worker stopped.
func (a *App) Close() error { return a.DB.Close() }
