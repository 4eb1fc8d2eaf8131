package store

import (
	"strconv"
	"strings"
)

// dialect holds the few places where SQLite and PostgreSQL differ. All
// queries are written once, with ? placeholders and the type macros below,
// and adapted here.
type dialect struct {
	name  string // in code: sqlite, postgres
	title string // in messages: SQLite, PostgreSQL
	// dollar rebinds ? placeholders to $1, $2, ... (PostgreSQL).
	dollar bool
	// types replaces the schema type macros.
	types *strings.Replacer
}

// Type macros used in migrations:
//
//	{{serial}}  auto-incrementing integer primary key
//	{{ts}}      a timestamp: Unix nanoseconds, UTC (exact round trip, sortable)
//	{{json}}    a JSON document kept as text
//	{{bool}}    a boolean
//	{{bytes}}   byte-order collation for text that is sorted (SQLite's default),
//	            so both databases list findings in the same order
var (
	sqliteDialect = &dialect{
		name:  "sqlite",
		title: "SQLite",
		types: strings.NewReplacer(
			"{{serial}}", "INTEGER PRIMARY KEY AUTOINCREMENT",
			"{{ts}}", "INTEGER",
			"{{json}}", "TEXT",
			"{{bool}}", "BOOLEAN",
			"{{bytes}}", "",
		),
	}
	postgresDialect = &dialect{
		name:   "postgres",
		title:  "PostgreSQL",
		dollar: true,
		types: strings.NewReplacer(
			"{{serial}}", "BIGSERIAL PRIMARY KEY",
			"{{ts}}", "BIGINT",
			"{{json}}", "TEXT",
			"{{bool}}", "BOOLEAN",
			"{{bytes}}", ` COLLATE "C"`,
		),
	}
)

// schema expands the type macros of a DDL statement.
func (d *dialect) schema(ddl string) string { return d.types.Replace(ddl) }

// rebind turns ? placeholders into the dialect's form. Question marks inside
// quoted strings or identifiers are left alone.
func (d *dialect) rebind(query string) string {
	if !d.dollar || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// placeholders returns "(?,?,?)" repeated rows times, comma separated.
func placeholders(cols, rows int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}
