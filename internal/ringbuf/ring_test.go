package ringbuf

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

type op struct {
	push     int // value to push; 0 means pop
	reserved bool
	size     int
}

func TestRingEviction(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		ops         []op
		wantPopped  []int
		wantDropped []int
	}{
		{
			name:       "under capacity keeps order",
			opts:       Options{Capacity: 4},
			ops:        []op{{push: 1}, {push: 2}, {push: 3}},
			wantPopped: []int{1, 2, 3},
		},
		{
			name:        "full ring drops oldest",
			opts:        Options{Capacity: 3},
			ops:         []op{{push: 1}, {push: 2}, {push: 3}, {push: 4}, {push: 5}},
			wantPopped:  []int{3, 4, 5},
			wantDropped: []int{1, 2},
		},
		{
			name: "reserve keeps reserved entries through a flood",
			opts: Options{Capacity: 4, Reserved: 2},
			ops: []op{
				{push: 1, reserved: true}, {push: 2}, {push: 3, reserved: true},
				{push: 4}, {push: 5}, {push: 6},
			},
			wantPopped:  []int{1, 3, 5, 6},
			wantDropped: []int{2, 4},
		},
		{
			name: "reserved entries may use the whole ring",
			opts: Options{Capacity: 3, Reserved: 1},
			ops: []op{
				{push: 1}, {push: 2, reserved: true}, {push: 3, reserved: true}, {push: 4, reserved: true},
			},
			wantPopped:  []int{2, 3, 4},
			wantDropped: []int{1},
		},
		{
			name: "unreserved entry beyond the reserve evicts the oldest overall",
			opts: Options{Capacity: 3, Reserved: 1},
			ops: []op{
				{push: 1, reserved: true}, {push: 2, reserved: true}, {push: 3}, {push: 4},
			},
			wantPopped:  []int{2, 3, 4},
			wantDropped: []int{1},
		},
		{
			name:        "byte bound evicts oldest",
			opts:        Options{Capacity: 10, MaxBytes: 10},
			ops:         []op{{push: 1, size: 4}, {push: 2, size: 4}, {push: 3, size: 4}},
			wantPopped:  []int{2, 3},
			wantDropped: []int{1},
		},
		{
			name:        "oversize entry is accepted alone",
			opts:        Options{Capacity: 10, MaxBytes: 10},
			ops:         []op{{push: 1, size: 4}, {push: 2, size: 4}, {push: 3, size: 25}, {push: 4, size: 1}},
			wantPopped:  []int{4},
			wantDropped: []int{1, 2, 3},
		},
		{
			name:       "reserved flag without reserve is ignored",
			opts:       Options{Capacity: 2},
			ops:        []op{{push: 1, reserved: true}, {push: 2}, {push: 3, reserved: true}},
			wantPopped: []int{2, 3},

			wantDropped: []int{1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dropped []int
			r := New(tt.opts, func(v int) { dropped = append(dropped, v) })
			for _, o := range tt.ops {
				if !r.Push(o.push, o.reserved, o.size) {
					t.Fatalf("Push(%d) = false on an open ring", o.push)
				}
			}
			got := r.Pop(nil, 100, 0, nil)
			if diff := cmp.Diff(tt.wantPopped, got); diff != "" {
				t.Errorf("popped (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantDropped, dropped); diff != "" {
				t.Errorf("dropped (-want +got):\n%s", diff)
			}
			st := r.Stats()
			if want := uint64(len(tt.wantDropped)); st.Evicted != want {
				t.Errorf("Stats().Evicted = %d, want %d", st.Evicted, want)
			}
			if st.Len != 0 || st.Bytes != 0 {
				t.Errorf("after full pop: Len %d Bytes %d, want 0 0", st.Len, st.Bytes)
			}
		})
	}
}

func TestPopBounds(t *testing.T) {
	r := New[int](Options{Capacity: 10}, nil)
	for i := 1; i <= 6; i++ {
		r.Push(i, false, 10*i)
	}
	tests := []struct {
		maxEntries, maxBytes int
		want                 []int
	}{
		{maxEntries: 2, want: []int{1, 2}},
		{maxEntries: 10, maxBytes: 75, want: []int{3, 4}}, // 30+40 fits, +50 would not
		{maxEntries: 10, maxBytes: 1, want: []int{5}},     // always at least one
		{maxEntries: 10, want: []int{6}},
		{maxEntries: 10, want: nil},
	}
	for i, tt := range tests {
		got := r.Pop(nil, tt.maxEntries, tt.maxBytes, nil)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("pop %d (-want +got):\n%s", i, diff)
		}
	}
}

func TestWakeAfterIdle(t *testing.T) {
	r := New[int](Options{Capacity: 4}, nil)
	if got := r.Pop(nil, 4, 0, nil); len(got) != 0 {
		t.Fatalf("Pop on empty ring = %v", got)
	}
	r.Push(1, false, 0)
	select {
	case <-r.Wake():
	default:
		t.Fatal("Push after an empty Pop did not signal Wake")
	}
	r.Push(2, false, 0) // consumer not idle: no signal
	select {
	case <-r.Wake():
		t.Fatal("Push signalled Wake while the consumer was not idle")
	default:
	}
}

func TestCloseRejectsPushAndKeepsEntries(t *testing.T) {
	r := New[int](Options{Capacity: 4}, nil)
	r.Push(1, false, 0)
	r.Close()
	r.Close()
	if r.Push(2, false, 0) {
		t.Fatal("Push after Close = true")
	}
	if !r.Closed() {
		t.Fatal("Closed() = false after Close")
	}
	select {
	case <-r.Wake():
	default:
		t.Fatal("Close did not signal Wake")
	}
	if got := r.Pop(nil, 4, 0, nil); !cmp.Equal(got, []int{1}) {
		t.Fatalf("Pop after Close = %v, want [1]", got)
	}
}

func TestDiscard(t *testing.T) {
	var dropped int
	r := New(Options{Capacity: 4}, func(int) { dropped++ })
	for i := range 3 {
		r.Push(i, false, 1)
	}
	var seen []int
	if n := r.Discard(func(v int) { seen = append(seen, v) }); n != 3 {
		t.Fatalf("Discard = %d, want 3", n)
	}
	if !cmp.Equal(seen, []int{0, 1, 2}) || dropped != 0 {
		t.Fatalf("Discard saw %v and called onDrop %d times", seen, dropped)
	}
	if st := r.Stats(); st.Len != 0 || st.Bytes != 0 {
		t.Fatalf("after Discard: %+v", st)
	}
}

func TestHighWater(t *testing.T) {
	r := New[int](Options{Capacity: 3}, nil)
	for i := range 5 {
		r.Push(i, false, 0)
	}
	r.Pop(nil, 10, 0, nil)
	r.Push(9, false, 0)
	if st := r.Stats(); st.HighWater != 3 || st.Len != 1 || st.Pushed != 6 || st.Evicted != 2 {
		t.Fatalf("Stats = %+v, want HighWater 3 Len 1 Pushed 6 Evicted 2", st)
	}
}

func TestPushAllocs(t *testing.T) {
	r := New[*int](Options{Capacity: 64}, nil)
	v := new(int)
	allocs := testing.AllocsPerRun(1000, func() {
		r.Push(v, false, 8)
		if r.Stats().Len == 64 {
			r.Pop(nil, 0, 0, nil)
		}
	})
	if allocs != 0 {
		t.Fatalf("Push allocates %.1f times per call, want 0", allocs)
	}
}
