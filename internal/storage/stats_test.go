package storage

import "testing"

func TestCountByClass(t *testing.T) {
	d, _ := openTemp(t)
	if c, err := d.CountByClass(ctx); err != nil || len(c) != 0 {
		t.Fatalf("CountByClass of an empty store = %v, %v", c, err)
	}
	for i := 0; i < 5; i++ {
		it := item(i)
		it.Class = uint8(i % 2)
		if err := d.Put(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	c, err := d.CountByClass(ctx)
	if err != nil || len(c) != 2 || c[0] != 3 || c[1] != 2 {
		t.Fatalf("CountByClass = %v, %v; want map[0:3 1:2]", c, err)
	}
}
