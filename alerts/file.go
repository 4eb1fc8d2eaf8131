package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// FileSender appends every payload, exactly as it would be sent, to a
// JSON-lines file (the demo, and users without Slack). Each line gets a
// synthetic timestamp so that replies can name their thread.
type FileSender struct {
	Path string

	mu sync.Mutex
	n  int
}

// Send implements Sender.
func (s *FileSender) Send(_ context.Context, p Payload) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	line, err := json.Marshal(p)
	if err != nil {
		return "", "", &PermanentError{Reason: "invalid_payload", Err: err}
	}
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o750); err != nil {
		return "", "", fmt.Errorf("creating the directory of alert file %s: %w", s.Path, err)
	}
	f, err := os.OpenFile(s.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return "", "", fmt.Errorf("opening alert file %s: %w", s.Path, err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		_ = f.Close()
		return "", "", fmt.Errorf("writing alert file %s: %w", s.Path, err)
	}
	if err := f.Close(); err != nil {
		return "", "", fmt.Errorf("closing alert file %s: %w", s.Path, err)
	}
	s.n++
	return p.Channel, fileTS(s.n), nil
}

func fileTS(n int) string {
	return strconv.FormatInt(time.Now().Unix(), 10) + "." + fmt.Sprintf("%06d", n)
}

// LogSender logs every payload (one line, the JSON payload) at info level.
type LogSender struct {
	Logger *slog.Logger
	n      int
	mu     sync.Mutex
}

// Send implements Sender.
func (s *LogSender) Send(_ context.Context, p Payload) (string, string, error) {
	line, err := json.Marshal(p)
	if err != nil {
		return "", "", &PermanentError{Reason: "invalid_payload", Err: err}
	}
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	s.Logger.Info("alert", "event", "alert_payload", "payload", string(line))
	return p.Channel, fileTS(n), nil
}
