package asl

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dragons-dev/dragons/local/asl/jsonpath"
)

// readItems loads a Map state's items with its ItemReader: the reader's
// resource (for example arn:aws:states:::s3:getObject) is run through the
// TaskInvoker, and its result is decoded per ReaderConfig. A result that is
// already an array is used as is; an object with a string "Body" is parsed as
// JSON, JSONL or CSV; an object with "Contents" (s3:listObjectsV2) yields
// those entries.
func (fr *frame) readItems(ctx context.Context, e *evalCtx, in any) ([]any, error) {
	r := e.st.itemReader
	var params any = map[string]any{}
	var err error
	switch {
	case r.parameters != nil:
		params, err = r.parameters.eval(e, in)
	case r.arguments != nil:
		params, err = r.arguments.eval(ctx, e)
	}
	if err != nil {
		return nil, err
	}
	if fr.ex.tasks == nil {
		return nil, failf(ErrItemReaderFailed, "%v: cannot read items from %s", errNoInvoker, r.resource)
	}
	res, err := fr.ex.tasks.InvokeTask(ctx, &TaskRequest{Resource: r.resource, Input: params, StateName: e.st.name, ExecutionID: fr.ex.info.ID, StateMachine: fr.ex.smInfo.ID, Heartbeat: func() {}, Submitted: ignoreSubmitted})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, failf(ErrItemReaderFailed, "Reading items from %s failed: %v", r.resource, err)
	}
	if res, err = canonical(res); err != nil {
		return nil, failf(ErrItemReaderFailed, "Reading items from %s failed: %v", r.resource, err)
	}
	items, err := decodeItems(r, res)
	if err != nil {
		return nil, failf(ErrItemReaderFailed, "Reading items from %s failed: %v", r.resource, err)
	}
	if r.maxItems.set {
		f, err := e.number(ctx, &r.maxItems, in)
		if err != nil {
			return nil, err
		}
		if n := int(f); n > 0 && n < len(items) {
			items = items[:n]
		}
	}
	return items, nil
}

func decodeItems(r *itemReader, res any) ([]any, error) {
	switch t := res.(type) {
	case []any:
		return t, nil
	case map[string]any:
		if c, ok := t["Contents"].([]any); ok {
			return c, nil
		}
		body, ok := t["Body"]
		if !ok {
			return nil, errors.New("the result has no Body")
		}
		if arr, ok := body.([]any); ok {
			return arr, nil
		}
		s, ok := body.(string)
		if !ok {
			return nil, errors.New("the Body is not a string")
		}
		return parseItems(r, s)
	}
	return nil, fmt.Errorf("unexpected result of type %s", jsonpath.TypeName(res))
}

func parseItems(r *itemReader, s string) ([]any, error) {
	switch r.inputType {
	case "JSON", "MANIFEST":
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		arr, ok := v.([]any)
		if !ok {
			return nil, errors.New("the JSON content is not an array")
		}
		return arr, nil
	case "JSONL":
		var out []any
		dec := json.NewDecoder(strings.NewReader(s))
		for {
			var v any
			err := dec.Decode(&v)
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return nil, fmt.Errorf("invalid JSONL: %w", err)
			}
			out = append(out, v)
		}
	case "CSV":
		rd := csv.NewReader(bytes.NewReader([]byte(s)))
		rd.FieldsPerRecord = -1
		rows, err := rd.ReadAll()
		if err != nil {
			return nil, fmt.Errorf("invalid CSV: %w", err)
		}
		headers := r.csvHeaders
		if r.csvHeaderFirstRow {
			if len(rows) == 0 {
				return []any{}, nil
			}
			headers, rows = rows[0], rows[1:]
		}
		out := make([]any, 0, len(rows))
		for _, row := range rows {
			m := make(map[string]any, len(headers))
			for i, h := range headers {
				if i < len(row) {
					m[h] = row[i]
				} else {
					m[h] = ""
				}
			}
			out = append(out, m)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported InputType %q", r.inputType)
}
