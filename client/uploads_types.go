package client

import "time"

// UploadSession is a resumable upload as POST, GET /v1/uploads/{id}
// answer it: the bytes the host holds (Offset) and until when it keeps
// them (24 h after the last change).
type UploadSession struct {
	ID        string    `json:"id"`
	Offset    int64     `json:"offset"`
	ExpiresAt time.Time `json:"expires_at"`
}
