package evaluator

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch reloads the policy set when a file in a user policy folder changes
// (debounced by Options.WatchDebounce) and polls every bundle at its poll
// interval, until ctx is done. Each reload swaps the new set in only when
// it is good (see Reload); a rejected one is logged and counted in the
// metrics while the last good set keeps running. Folders created later
// inside a watched folder are watched too. Watch returns nil when ctx ends;
// an error only when the file watcher cannot start.
func (e *Evaluator) Watch(ctx context.Context) error {
	var (
		events <-chan fsnotify.Event
		errs   <-chan error
	)
	if len(e.opts.Dirs) > 0 {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			return err
		}
		defer w.Close()
		for _, d := range e.opts.Dirs {
			addTree(w, d, e)
		}
		errs = w.Errors
		// Forwarded, so that folders created later are watched too.
		events = e.followNewDirs(ctx, w)
	}
	debounce := e.opts.WatchDebounce
	if debounce <= 0 {
		debounce = 500 * time.Millisecond
	}
	var poll <-chan time.Time
	if len(e.opts.Bundles) > 0 {
		every := pollInterval(e.opts.Bundles[0])
		for _, b := range e.opts.Bundles[1:] {
			every = min(every, pollInterval(b))
		}
		t := time.NewTicker(every)
		defer t.Stop()
		poll = t.C
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if relevant(ev.Name) {
				timer.Reset(debounce)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			e.log.Warn("policy folder watch error; reloads continue on the next change", "error", err)
		case <-timer.C:
			if err := e.reload(ctx, false); err != nil {
				e.log.Error("policy reload after a file change rejected", "error", err)
			}
		case <-poll:
			if err := e.reload(ctx, false); err != nil {
				e.log.Error("policy bundle poll rejected", "error", err)
			}
		}
	}
}

// followNewDirs forwards w's events, adding folders created under a
// watched one to the watcher.
func (e *Evaluator) followNewDirs(ctx context.Context, w *fsnotify.Watcher) <-chan fsnotify.Event {
	out := make(chan fsnotify.Event)
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Has(fsnotify.Create) {
					addTree(w, ev.Name, e)
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// addTree watches dir and its sub-folders (hidden ones skipped).
func addTree(w *fsnotify.Watcher, dir string, e *Evaluator) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if err := w.Add(p); err != nil {
			e.log.Warn("cannot watch policy folder; its changes are picked up by the next reload", "folder", p, "error", err)
		}
		return nil
	})
}

// relevant reports whether a change to this file can change the policy set.
func relevant(name string) bool {
	base := filepath.Base(name)
	if strings.HasPrefix(base, ".") || strings.HasSuffix(base, "~") || strings.HasSuffix(base, ".swp") {
		return false
	}
	switch strings.ToLower(filepath.Ext(base)) {
	case ".rego", ".json", ".yaml", ".yml", "":
		return true
	}
	return false
}
