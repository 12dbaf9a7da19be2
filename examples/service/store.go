package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// seededUsers is how many users the store creates on start; IDs above it
// are absent, so the load driver's reads of them answer 404.
const seededUsers = 100

// ErrNotFound is returned by the store when a row does not exist.
var ErrNotFound = errors.New("not found")

// User is a row of the users table.
type User struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Payment is a row of the payments table. The card number is never stored
// whole: only its last four digits are.
type Payment struct {
	ID        int64     `json:"id"`
	Amount    int64     `json:"amount"`
	Currency  string    `json:"currency"`
	CardLast4 string    `json:"card_last4"`
	CreatedAt time.Time `json:"created_at"`
}

// Store is the service's database: SQLite through database/sql. Every
// query logs the connection pool's size at DEBUG ("Connection pool size",
// attribute size = open connections), as a busy service's data layer does,
// which gives the aggregation layer real repetitive records to fold.
type Store struct {
	db     *sql.DB
	log    *slog.Logger
	tracer trace.Tracer
}

// OpenStore opens (creating if needed) the SQLite database at path, creates
// the schema and seeds the users table. maxConns bounds the pool.
func OpenStore(ctx context.Context, path string, maxConns int, log *slog.Logger, tracer trace.Tracer) (*Store, error) {
	// WAL lets readers run beside the single writer; busy_timeout makes a
	// writer wait for the lock instead of failing with SQLITE_BUSY.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	s := &Store{db: db, log: log, tracer: tracer}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS users (
			id    INTEGER PRIMARY KEY,
			name  TEXT NOT NULL,
			email TEXT NOT NULL
		)`,
		`CREATE TABLE IF NOT EXISTS payments (
			id         INTEGER PRIMARY KEY AUTOINCREMENT,
			amount     INTEGER NOT NULL,
			currency   TEXT NOT NULL,
			card_last4 TEXT NOT NULL,
			created_at TEXT NOT NULL
		)`,
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("seed users: %w", err)
	}
	defer tx.Rollback()
	for i := 1; i <= seededUsers; i++ {
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO users (id, name, email) VALUES (?, ?, ?)`,
			i, fmt.Sprintf("User %d", i), fmt.Sprintf("user%d@example.com", i))
		if err != nil {
			return fmt.Errorf("seed users: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("seed users: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// OpenConnections returns the pool's open connections now.
func (s *Store) OpenConnections() int { return s.db.Stats().OpenConnections }

// logPool writes the pool line every query logs. It is logged with the
// caller's context, before the query's own span starts, so that the lines
// of one request share its span_id and fold into one summary.
func (s *Store) logPool(ctx context.Context) {
	s.log.LogAttrs(ctx, slog.LevelDebug, "Connection pool size", slog.Int("size", s.db.Stats().OpenConnections))
}

// span starts a client span for one query.
func (s *Store) span(ctx context.Context, op, stmt string) (context.Context, trace.Span) {
	return s.tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system", "sqlite"), attribute.String("db.statement", stmt)))
}

func endSpan(span trace.Span, err error) {
	if err != nil && !errors.Is(err, ErrNotFound) {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// User reads one user; it returns ErrNotFound when there is none.
func (s *Store) User(ctx context.Context, id int64) (u User, err error) {
	const q = `SELECT id, name, email FROM users WHERE id = ?`
	s.logPool(ctx)
	ctx, span := s.span(ctx, "users.get", q)
	defer func() { endSpan(span, err) }()
	err = s.db.QueryRowContext(ctx, q, id).Scan(&u.ID, &u.Name, &u.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("read user %d: %w", id, err)
	}
	return u, nil
}

// CreatePayment inserts a payment; only the card's last four digits are stored.
func (s *Store) CreatePayment(ctx context.Context, amount int64, currency, cardNumber string) (p Payment, err error) {
	const q = `INSERT INTO payments (amount, currency, card_last4, created_at) VALUES (?, ?, ?, ?)`
	s.logPool(ctx)
	ctx, span := s.span(ctx, "payments.insert", q)
	defer func() { endSpan(span, err) }()
	p = Payment{Amount: amount, Currency: currency, CardLast4: last4(cardNumber), CreatedAt: time.Now().UTC()}
	res, err := s.db.ExecContext(ctx, q, p.Amount, p.Currency, p.CardLast4, p.CreatedAt.Format(time.RFC3339Nano))
	if err != nil {
		return Payment{}, fmt.Errorf("insert payment: %w", err)
	}
	if p.ID, err = res.LastInsertId(); err != nil {
		return Payment{}, fmt.Errorf("insert payment: %w", err)
	}
	return p, nil
}

// last4 returns the last four digits of a card number.
func last4(card string) string {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, card)
	if len(digits) <= 4 {
		return digits
	}
	return digits[len(digits)-4:]
}

// maskCard renders a card number for logs and responses: every digit but
// the last four replaced.
func maskCard(card string) string {
	return "************" + last4(card)
}
