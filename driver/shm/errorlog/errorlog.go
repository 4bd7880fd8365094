package errorlog

import (
	"sync"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// Record layout.
const (
	lengthOffset    = 0
	countOffset     = 4
	lastOffset      = 8
	firstOffset     = 16
	HeaderLength    = 24
	RecordAlignment = 8
)

type observation struct {
	code   int32
	text   string
	offset int
}

// DistinctLog records errors. It is safe for concurrent use by the
// driver's agents.
type DistinctLog struct {
	mu    sync.Mutex
	buf   shm.AtomicBuffer
	clock func() int64
	next  int
	seen  []observation
}

// New writes into buf; clock returns epoch milliseconds.
func New(buf shm.AtomicBuffer, clock func() int64) *DistinctLog {
	return &DistinctLog{buf: buf, clock: clock}
}

// Record notes one observation of an error. It reports false when the log
// is full and the error is new.
func (l *DistinctLog) Record(code int32, description string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Read the clock under the lock so a record's last observation never
	// goes back in time.
	now := l.clock()
	for _, o := range l.seen {
		if o.code == code && o.text == description {
			l.buf.GetAndAddInt32(o.offset+countOffset, 1)
			l.buf.PutInt64Ordered(o.offset+lastOffset, now)
			return true
		}
	}
	length := HeaderLength + len(description)
	aligned := shm.AlignInt(length, RecordAlignment)
	if l.next+aligned > l.buf.Capacity() {
		return false
	}
	off := l.next
	l.buf.PutBytes(off+HeaderLength, []byte(description))
	l.buf.PutInt64(off+firstOffset, now)
	l.buf.PutInt64Ordered(off+lastOffset, now)
	l.buf.PutInt32Ordered(off+countOffset, 1)
	l.buf.PutInt32Ordered(off+lengthOffset, int32(length))
	l.next += aligned
	l.seen = append(l.seen, observation{code: code, text: description, offset: off})
	return true
}

// Read calls fn for every record last observed at or after sinceMs and
// returns how many it passed.
func Read(buf shm.AtomicBuffer, fn func(count int32, firstMs, lastMs int64, text string), sinceMs int64) int {
	n := 0
	for off := 0; off+HeaderLength <= buf.Capacity(); {
		length := int(buf.GetInt32Volatile(off + lengthOffset))
		if length < HeaderLength || off+length > buf.Capacity() {
			break
		}
		last := buf.GetInt64Volatile(off + lastOffset)
		if last >= sinceMs {
			n++
			fn(buf.GetInt32Volatile(off+countOffset), buf.GetInt64(off+firstOffset), last,
				string(buf.Bytes()[off+HeaderLength:off+length]))
		}
		off += shm.AlignInt(length, RecordAlignment)
	}
	return n
}
