package route

import "time"

// Clock is time.Now; tests swap it to drive breakers, windows and canaries
// without sleeping.
type Clock func() time.Time
