package vm

import (
	"bytes"
	"io"
	"sync"
)

// LogWriter returns a writer that calls logf once per complete line
// written to it, without the line ending; a partial line is held until its
// newline arrives. LogWriter(t.Logf) makes a Config.Console for tests. The
// writer is safe for concurrent use.
func LogWriter(logf func(format string, args ...any)) io.Writer {
	return &logWriter{logf: logf}
}

type logWriter struct {
	mu   sync.Mutex
	logf func(format string, args ...any)
	buf  []byte
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.logf("%s", bytes.TrimRight(w.buf[:i], "\r"))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}
