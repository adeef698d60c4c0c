package storage

import "context"

// CountByClass returns how many items the database holds in each
// accessibility class, reading only the class column (kept in clear).
func (d *DB) CountByClass(ctx context.Context) (map[uint8]int, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT class, COUNT(*) FROM items GROUP BY class`)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	counts := map[uint8]int{}
	for rows.Next() {
		var class uint8
		var n int
		if err := rows.Scan(&class, &n); err != nil {
			return nil, classify(err)
		}
		counts[class] = n
	}
	return counts, classify(rows.Err())
}
