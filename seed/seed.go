// Package seed embeds the starter dragon catalog (Dragons.json, in the
// course format) that the local cloud writes into the bucket when no catalog
// exists yet. It only provides the bytes; it does not write anything.
package seed

import (
	"bytes"
	_ "embed"
)

// Key is the catalog's default object key, matching the /dragons/key
// parameter's default value.
const Key = "Dragons.json"

//go:embed Dragons.json
var dragonsJSON []byte

// Dragons returns a copy of the seed catalog: a JSON array of course-format
// dragon records.
func Dragons() []byte { return bytes.Clone(dragonsJSON) }
