package budget

import (
	"time"

	"github.com/roundhouse-ai/roundhouse/host/config"
)

// windowStart is the start of the calendar window (UTC) holding t:
// minutes and hours truncate, days start at midnight, months on the 1st.
// Calendar windows (not sliding ones) make "resets at" a fact a user can
// plan around, and match how providers bill.
func windowStart(t time.Time, w string) time.Time {
	t = t.UTC()
	switch w {
	case config.WindowMinute:
		return t.Truncate(time.Minute)
	case config.WindowHour:
		return t.Truncate(time.Hour)
	case config.WindowDay:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	default: // month
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
}

// windowEnd is when the window that starts at start resets.
func windowEnd(start time.Time, w string) time.Time {
	switch w {
	case config.WindowMinute:
		return start.Add(time.Minute)
	case config.WindowHour:
		return start.Add(time.Hour)
	case config.WindowDay:
		return start.AddDate(0, 0, 1)
	default:
		return start.AddDate(0, 1, 0)
	}
}
