package storage

import (
	"context"
	"fmt"
)

// CountByClass returns how many items the database holds in each
// accessibility class, reading only the class column (kept in clear).
func (d *DB) CountByClass(ctx context.Context) (map[uint8]int, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT class, COUNT(*) FROM items GROUP BY class`)
	if err != nil {
		return nil, classify(d.path, err)
	}
	defer rows.Close()
	counts := map[uint8]int{}
	for rows.Next() {
		var class uint8
		var n int64
		if err := rows.Scan(byteCol{"class", &class}, intCol{"count", &n}); err != nil {
			return nil, classify(d.path, err)
		}
		counts[class] = int(n)
	}
	return counts, classify(d.path, rows.Err())
}

// IntegrityCheck runs SQLite's integrity_check over the whole file and
// returns what it found, at most max findings; none means the file's
// structure is sound. The findings name pages, rows and indexes, never
// their content.
func (d *DB) IntegrityCheck(ctx context.Context, max int) ([]string, error) {
	rows, err := d.sql.QueryContext(ctx, fmt.Sprintf(`PRAGMA integrity_check(%d)`, max))
	if err != nil {
		return nil, classify(d.path, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, classify(d.path, err)
		}
		if s != "ok" {
			out = append(out, s)
		}
	}
	return out, classify(d.path, rows.Err())
}
