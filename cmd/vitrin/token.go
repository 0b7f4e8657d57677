package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/vitrin/vitrin/internal/apitoken"
	"github.com/vitrin/vitrin/internal/database"
)

const tokenUsage = `Usage:
  vitrin token create --name NAME --scope orders,catalog,customers,webhooks
  vitrin token list
  vitrin token revoke NAME
All take --database URL ($VITRIN_DATABASE_URL).
`

// runToken is `vitrin token create|list|revoke`: the management API's
// bearer tokens. A new token is printed once; only its hash is kept.
func runToken(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("token: name a verb\n" + tokenUsage)
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("vitrin token "+verb, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), tokenUsage) }
	dbURL := databaseFlag(fs)
	name := fs.String("name", "", "the token's name, shown in the log of every use")
	scope := fs.String("scope", "", "comma-separated scopes: "+strings.Join(apitoken.AllScopes, ","))
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if want, ok := map[string]int{"create": 0, "list": 0, "revoke": 1}[verb]; !ok || len(positional) != want {
		return fmt.Errorf("token: bad arguments\n%s", tokenUsage)
	}
	db, err := database.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	switch verb {
	case "create":
		scopes, err := apitoken.ParseScopes(*scope)
		if err != nil {
			return err
		}
		secret, t, err := apitoken.Create(ctx, db, *name, scopes)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s\n\nToken %q with scopes %s. It is shown this once: keep it now.\n", secret, t.Name, strings.Join(t.Scopes, ","))
		return nil
	case "list":
		return listTokens(ctx, db, out)
	}
	if err := apitoken.Revoke(ctx, db, positional[0]); err != nil {
		return fmt.Errorf("revoke %q: %w", positional[0], err)
	}
	fmt.Fprintf(out, "Token %q revoked.\n", positional[0])
	return nil
}

func listTokens(ctx context.Context, db *database.DB, out io.Writer) error {
	list, err := apitoken.List(ctx, db)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSCOPES\tCREATED\tREVOKED")
	for _, t := range list {
		revoked := "-"
		if t.Revoked != nil {
			revoked = t.Revoked.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, strings.Join(t.Scopes, ","), t.Created.Format("2006-01-02 15:04"), revoked)
	}
	return tw.Flush()
}
