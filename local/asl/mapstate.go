package asl

import (
	"context"
	"errors"
	"math"
	"sync"

	"github.com/dragons-dev/dragons/local/asl/jsonpath"
)

// child returns a frame for a branch or iteration. Distributed Map
// iterations do not see the outer variables.
func (fr *frame) child(isolated bool) *frame {
	c := &frame{}
	fr.initChild(c, isolated)
	return c
}

// initChild (re)initialises c as a child of fr, so a worker can reuse one
// frame for many iterations.
func (fr *frame) initChild(c *frame, isolated bool) {
	*c = frame{ex: fr.ex, prev: fr.prev, item: fr.item, hasItem: fr.hasItem}
	if !isolated {
		c.own.parent = fr.vars
	}
	c.vars = &c.own
	c.ec.fr = c
}

func (fr *frame) attemptParallel(ctx context.Context, e *evalCtx, raw any) (any, map[string]any, error) {
	st := e.st
	_, params, err := fr.effectiveInput(ctx, e, raw)
	if err != nil {
		return nil, nil, err
	}
	if tr := fr.test; tr != nil && tr.mock != nil {
		return fr.finishMocked(ctx, e, raw, tr.mock)
	}
	h := fr.ex.hist
	if h != nil {
		h.emit(&fr.prev, Event{Type: "ParallelStateStarted"})
	}
	results := make([]any, len(st.branches))
	blocking := false
	for _, b := range st.branches {
		blocking = blocking || b.blocking
	}
	var firstErr error
	if !blocking || len(st.branches) == 1 {
		for i, b := range st.branches {
			c := fr.child(false)
			out, err := c.runGraph(ctx, b, params)
			fr.syncPrev(c)
			if err != nil {
				firstErr = err
				break
			}
			results[i] = out
		}
	} else {
		bctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		var once sync.Once
		for i, b := range st.branches {
			wg.Add(1)
			go func(i int, b *graph) {
				defer wg.Done()
				c := fr.child(false)
				out, err := c.runGuarded(bctx, b.start, params)
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				results[i] = out
			}(i, b)
		}
		wg.Wait()
		cancel()
	}
	return fr.endBranches(ctx, e, raw, "ParallelState", results, firstErr)
}

// endBranches ends a Parallel or Map state once its branches or iterations
// have run: it records the state's Failed (unless ctx was cancelled) or
// Succeeded event, with event type prefix kind, and on success finishes the
// state with results.
func (fr *frame) endBranches(ctx context.Context, e *evalCtx, raw any, kind string, results []any, err error) (any, map[string]any, error) {
	h := fr.ex.hist
	if err != nil {
		if h != nil && ctx.Err() == nil {
			h.emit(&fr.prev, Event{Type: kind + "Failed"})
		}
		return nil, nil, err
	}
	if h != nil {
		h.emit(&fr.prev, Event{Type: kind + "Succeeded"})
	}
	return fr.finishResult(ctx, e, raw, results)
}

// finishMocked ends a Parallel or Map state under test with the mocked
// outcome in place of running its branches or iterations.
func (fr *frame) finishMocked(ctx context.Context, e *evalCtx, raw any, m *TestStateMock) (any, map[string]any, error) {
	res, err := m.outcome()
	if err != nil {
		return nil, nil, err
	}
	return fr.finishResult(ctx, e, raw, res)
}

// syncPrev continues the parent's event chain after a sequential child.
func (fr *frame) syncPrev(c *frame) {
	if fr.ex.hist != nil {
		fr.prev = c.prev
	}
}

func (fr *frame) attemptMap(ctx context.Context, e *evalCtx, raw any) (any, map[string]any, error) {
	st := e.st
	var in any = raw
	var items []any
	if st.lang == JSONata {
		var v any = raw
		if st.items != nil {
			var err error
			if v, err = st.items.eval(ctx, e); err != nil {
				return nil, nil, err
			}
			arr, ok := v.([]any)
			if !ok {
				return nil, nil, e.failf(ErrQueryEvaluationError, "The JSONata expression '%s' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '%s' for value: %s", st.items.src, jsonpath.TypeName(v), compactJSON(v))
			}
			items = arr
		} else if st.itemReader == nil {
			arr, ok := v.([]any)
			if !ok {
				return nil, nil, e.failf(ErrQueryEvaluationError, "The Map state input must be an array, but was '%s'", jsonpath.TypeName(v))
			}
			items = arr
		}
	} else {
		var err error
		if in, err = e.selectPath(st.inputPath, "InputPath", raw); err != nil {
			return nil, nil, err
		}
		if st.itemReader == nil {
			v, err := e.selectPath(st.itemsPath, "ItemsPath", in)
			if err != nil {
				return nil, nil, err
			}
			arr, ok := v.([]any)
			if !ok {
				return nil, nil, e.failf(ErrRuntime, "The ItemsPath must reference a JSON array, but the value was %s", compactJSON(v))
			}
			items = arr
		}
	}
	if st.itemReader != nil {
		arr, err := fr.readItems(ctx, e, in)
		if err != nil {
			return nil, nil, err
		}
		items = arr
	}
	maxConc := 0
	if st.maxConcurrency.set {
		f, err := e.number(ctx, &st.maxConcurrency, in)
		if err != nil {
			return nil, nil, err
		}
		if f < 0 {
			return nil, nil, e.failf(ErrRuntime, "MaxConcurrency must be non-negative")
		}
		maxConc = int(f)
	}
	tolerance := -1.0 // failures allowed; -1 = none
	tolerancePct := -1.0
	if st.toleratedCount.set {
		f, err := e.number(ctx, &st.toleratedCount, in)
		if err != nil {
			return nil, nil, err
		}
		tolerance = f
	}
	if st.toleratedPct.set {
		f, err := e.number(ctx, &st.toleratedPct, in)
		if err != nil {
			return nil, nil, err
		}
		if f < 0 || f > 100 {
			return nil, nil, e.failf(ErrRuntime, "ToleratedFailurePercentage must be between 0 and 100")
		}
		tolerancePct = f
	}
	if st.itemBatcher != nil {
		batched, err := fr.batchItems(ctx, e, in, items)
		if err != nil {
			return nil, nil, err
		}
		items = batched
	}

	if tr := fr.test; tr != nil {
		if err := fr.inspectMap(ctx, e, raw, in, items, maxConc, tolerance, tolerancePct); err != nil {
			return nil, nil, err
		}
		if tr.mock != nil {
			return fr.finishMocked(ctx, e, raw, tr.mock)
		}
	}
	h := fr.ex.hist
	if h != nil {
		h.emit(&fr.prev, Event{Type: "MapStateStarted", MapStateStarted: &MapStateStartedDetails{Length: len(items)}})
	}
	results := make([]any, len(items))
	failures := 0
	var failErr error
	var mu sync.Mutex
	tolerant := tolerance >= 0 || tolerancePct >= 0
	exceeded := func() bool {
		if !tolerant {
			return failures > 0
		}
		if tolerance >= 0 && float64(failures) > tolerance {
			return true
		}
		if tolerancePct >= 0 && len(items) > 0 && float64(failures)*100/float64(len(items)) > tolerancePct {
			return true
		}
		return false
	}

	runItem := func(ictx context.Context, i int, c *frame) error {
		item := items[i]
		input := item
		c.item, c.hasItem = mapItem{index: i, value: item}, true
		ie := &c.ec
		ie.reset(st, raw)
		var err error
		switch {
		case st.itemSelector != nil:
			input, err = st.itemSelector.eval(ie, in)
		case st.itemSelectorQL != nil:
			input, err = st.itemSelectorQL.eval(ictx, ie)
		}
		if h != nil {
			h.emit(&c.prev, Event{Type: "MapIterationStarted", MapIterationStarted: &MapIterationDetails{Name: st.name, Index: i}})
		}
		var out any
		if err == nil {
			out, err = c.runGraph(ictx, st.processor, input)
		}
		if err != nil {
			if h != nil {
				d := &MapIterationDetails{Name: st.name, Index: i}
				if ictx.Err() != nil {
					h.emit(&c.prev, Event{Type: "MapIterationAborted", MapIterationAborted: d})
				} else {
					h.emit(&c.prev, Event{Type: "MapIterationFailed", MapIterationFailed: d})
				}
			}
			return err
		}
		if h != nil {
			h.emit(&c.prev, Event{Type: "MapIterationSucceeded", MapIterationSucceeded: &MapIterationDetails{Name: st.name, Index: i}})
		}
		results[i] = out
		return nil
	}
	// runItemGuarded is runItem for a worker goroutine: a panic becomes the
	// item's States.Runtime error instead of crashing the process.
	runItemGuarded := func(ictx context.Context, i int, c *frame) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = panicError(r)
			}
		}()
		return runItem(ictx, i, c)
	}
	// record notes a failed item; it returns true when the Map must stop.
	record := func(i int, err error) bool {
		var ee *ExecError
		if !errors.As(err, &ee) {
			if failErr == nil {
				failErr = err
			}
			return true
		}
		failures++
		results[i] = map[string]any{"Error": ee.ErrorName, "Cause": ee.Cause}
		if exceeded() {
			if failErr == nil {
				if tolerant {
					failErr = failf(ErrExceedToleratedFailureThreshold, "The specified tolerated failure threshold was exceeded")
				} else {
					failErr = ee
				}
			}
			return true
		}
		return false
	}

	isolated := st.distributed
	if !st.processor.blocking || maxConc == 1 || len(items) <= 1 {
		c := &frame{}
		for i := range items {
			fr.initChild(c, isolated)
			err := runItem(ctx, i, c)
			fr.syncPrev(c)
			if err != nil && record(i, err) {
				break
			}
		}
	} else {
		workers := len(items)
		if maxConc > 0 && maxConc < workers {
			workers = maxConc
		}
		mctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		next := 0
		stopped := false
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &frame{}
				for {
					mu.Lock()
					if stopped || next >= len(items) {
						mu.Unlock()
						return
					}
					i := next
					next++
					mu.Unlock()
					fr.initChild(c, isolated)
					if err := runItemGuarded(mctx, i, c); err != nil {
						mu.Lock()
						if !stopped && record(i, err) {
							stopped = true
							cancel()
						}
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		cancel()
	}
	return fr.endBranches(ctx, e, raw, "MapState", results, failErr)
}

// batchItems groups items per ItemBatcher into {"Items": [...], "BatchInput": ...}.
func (fr *frame) batchItems(ctx context.Context, e *evalCtx, in any, items []any) ([]any, error) {
	b := e.st.itemBatcher
	maxItems := math.MaxInt
	if b.maxItems.set {
		f, err := e.number(ctx, &b.maxItems, in)
		if err != nil {
			return nil, err
		}
		if f >= 1 {
			maxItems = int(f)
		}
	}
	maxBytes := 256 * 1024
	if b.maxBytes.set {
		f, err := e.number(ctx, &b.maxBytes, in)
		if err != nil {
			return nil, err
		}
		if f >= 1 {
			maxBytes = int(f)
		}
	}
	var batchInput any
	hasBatchInput := false
	switch {
	case b.batchInput != nil:
		v, err := b.batchInput.eval(e, in)
		if err != nil {
			return nil, err
		}
		batchInput, hasBatchInput = v, true
	case b.batchInputQL != nil:
		v, err := b.batchInputQL.eval(ctx, e)
		if err != nil {
			return nil, err
		}
		batchInput, hasBatchInput = v, true
	}
	var out []any
	var cur []any
	size := 0
	flush := func() {
		if len(cur) == 0 {
			return
		}
		m := map[string]any{"Items": cur}
		if hasBatchInput {
			m["BatchInput"] = batchInput
		}
		out = append(out, m)
		cur, size = nil, 0
	}
	for _, it := range items {
		n := len(compactJSON(it))
		if len(cur) > 0 && (len(cur) >= maxItems || size+n > maxBytes) {
			flush()
		}
		cur = append(cur, it)
		size += n
	}
	flush()
	return out, nil
}

// inspectMap records a Map state's item processing for TestState.
func (fr *frame) inspectMap(ctx context.Context, e *evalCtx, raw, in any, items []any, maxConc int, tolerance, tolerancePct float64) error {
	st := e.st
	insp := fr.test.insp
	if st.lang == JSONPath {
		insp.AfterItemsPath = compactJSON(items)
	}
	if st.maxConcurrency.set {
		insp.MaxConcurrency = &maxConc
	}
	if tolerance >= 0 {
		n := int(tolerance)
		insp.ToleratedFailureCount = &n
	}
	if tolerancePct >= 0 {
		insp.ToleratedFailurePercentage = &tolerancePct
	}
	if st.itemBatcher != nil {
		insp.AfterItemBatcher = compactJSON(items)
	}
	if st.itemSelector == nil && st.itemSelectorQL == nil {
		return nil
	}
	sel := make([]any, len(items))
	for i, item := range items {
		c := fr.child(st.distributed)
		ie := &c.ec
		ie.reset(st, raw)
		ie.inMapItem, ie.mapIndex, ie.mapValue = true, i, item
		var err error
		if st.itemSelector != nil {
			sel[i], err = st.itemSelector.eval(ie, in)
		} else {
			sel[i], err = st.itemSelectorQL.eval(ctx, ie)
		}
		if err != nil {
			return err
		}
	}
	insp.AfterItemSelector = compactJSON(sel)
	return nil
}
