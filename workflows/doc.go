// Package workflows holds the Amazon States Language definitions of the
// dragons application (add_dragon.asl.json, the Express add-dragon workflow)
// and the tests that keep them consistent with template.yaml, the Go error
// types the workflow catches and the JSON Schemas of the documents it writes.
//
// It has no runtime code: template.yaml references the definition by path
// (DefinitionUri), and the local cloud and AWS both read that file. It does
// not execute workflows; an ASL engine does.
package workflows
