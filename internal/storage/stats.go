package storage

import "context"

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
