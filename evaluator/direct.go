package evaluator

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// directQuery is a deny query (denyBody) compiled once and run on OPA's
// topdown evaluator directly, without the rego package's per-evaluation
// wrapper (an evaluation context, a cancellation goroutine, a result set
// with expression values). It sets exactly the options the rego package
// sets for a query prepared with rego.StrictBuiltinErrors(true): strict
// builtin errors, rule indexing, early exit, no print hook (print
// statements are not enabled in the evaluator's compiler), no custom
// builtins.
type directQuery struct {
	compiler *ast.Compiler
	store    storage.Store
	body     ast.Body
	qc       ast.QueryCompiler
	// vars[i] is the variable holding policy i's deny set in a result.
	vars []ast.Var
}

func newDirectQuery(c *ast.Compiler, store storage.Store, pkgs []ast.Ref) (*directQuery, error) {
	// As rego.PrepareForEval compiles a query: no package, no imports, not
	// strict. Its extra capture stage leaves equalities alone.
	qc := c.QueryCompiler().WithContext(ast.NewQueryContext()).WithStrict(false)
	body, err := qc.Compile(denyBody(pkgs))
	if err != nil {
		return nil, err
	}
	dq := &directQuery{compiler: c, store: store, body: body, qc: qc, vars: make([]ast.Var, len(pkgs))}
	for i := range pkgs {
		dq.vars[i] = ast.Var(resultVar(i))
	}
	for k, v := range qc.RewrittenVars() {
		for i := range dq.vars {
			if string(v) == resultVar(i) {
				dq.vars[i] = k
			}
		}
	}
	return dq, nil
}

// runner runs direct queries for one worker: one storage transaction, one
// cancellation watcher, one virtual cache and one base-document cache for
// all its evaluations.
type runner struct {
	store  storage.Store // txn's store: the set's, or one call's with its inventory
	txn    storage.Transaction
	cancel topdown.Cancel
	vc     *vcache
	bc     *baseCache
	stop   chan struct{}
}

func newRunner(ctx context.Context, store storage.Store, txn storage.Transaction) *runner {
	r := &runner{store: store, txn: txn, cancel: topdown.NewCancel(), vc: newVCache(), bc: &baseCache{}, stop: make(chan struct{})}
	go func() {
		select {
		case <-ctx.Done():
			r.cancel.Cancel()
		case <-r.stop:
		}
	}()
	return r
}

func (r *runner) close() { close(r.stop) }

// eval evaluates dq with input in and returns its first result (a deny
// query has at most one), nil when it is undefined. Attributes convert to
// AST lazily inside OPA, which panics on a Go type it cannot convert: that
// becomes an error of this query on this subject.
func (r *runner) eval(ctx context.Context, dq *directQuery, in ast.Value) (qr topdown.QueryResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("converting the input: %v", p)
		}
	}()
	r.vc.reset()
	q := topdown.NewQuery(dq.body).
		WithQueryCompiler(dq.qc).
		WithCompiler(dq.compiler).
		WithStore(r.store).
		WithTransaction(r.txn).
		WithMetrics(noMetrics).
		WithIndexing(true).
		WithEarlyExit(true).
		WithStrictBuiltinErrors(true).
		WithVirtualCache(r.vc).
		WithBaseCache(r.bc).
		WithCancel(r.cancel).
		WithInput(ast.NewTerm(in))
	err = q.Iter(ctx, func(res topdown.QueryResult) error {
		if qr == nil {
			qr = res
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return qr, nil
}

// baseCache is a topdown.BaseCache (base documents read from the store,
// converted to AST) that one runner keeps across evaluations: the data do
// not change within the runner's read transaction, so every evaluation
// after the first finds data.driftwarden.config's values here instead of
// reading the store again. Same structure as OPA's own per-evaluation
// cache.
type baseCache struct {
	root baseCacheElem
}

type baseCacheElem struct {
	value    ast.Value
	children map[ast.Value]*baseCacheElem
}

func (c *baseCache) Get(ref ast.Ref) ast.Value {
	node := &c.root
	for i := range ref {
		node = node.children[ref[i].Value]
		if node == nil {
			return nil
		}
		if node.value != nil {
			if len(ref) == 1 && ast.IsScalar(node.value) {
				return node.value
			}
			result, err := node.value.Find(ref[i+1:])
			if err != nil {
				return nil
			}
			return result
		}
	}
	return nil
}

func (c *baseCache) Put(ref ast.Ref, value ast.Value) {
	node := &c.root
	for i := range ref {
		child, ok := node.children[ref[i].Value]
		if !ok {
			child = &baseCacheElem{}
			if node.children == nil {
				node.children = map[ast.Value]*baseCacheElem{}
			}
			node.children[ref[i].Value] = child
		}
		node = child
	}
	node.value = value
	node.children = nil
}
