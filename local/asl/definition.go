package asl

import (
	"time"

	"github.com/dragons-dev/dragons/local/asl/jsonpath"
)

// QueryLanguage is the language a state uses to process data.
type QueryLanguage string

// Query languages.
const (
	JSONPath QueryLanguage = "JSONPath"
	JSONata  QueryLanguage = "JSONata"
)

// MachineType is the state machine type, which changes what a definition
// may contain.
type MachineType string

// State machine types.
const (
	Standard MachineType = "STANDARD"
	Express  MachineType = "EXPRESS"
)

type stateKind uint8

const (
	kindPass stateKind = iota + 1
	kindTask
	kindChoice
	kindWait
	kindSucceed
	kindFail
	kindParallel
	kindMap
)

var kindNames = map[string]stateKind{
	"Pass": kindPass, "Task": kindTask, "Choice": kindChoice, "Wait": kindWait,
	"Succeed": kindSucceed, "Fail": kindFail, "Parallel": kindParallel, "Map": kindMap,
}

func (k stateKind) String() string {
	for n, v := range kindNames {
		if v == k {
			return n
		}
	}
	return "Unknown"
}

// graph is a set of states with a start state: the machine itself, a
// Parallel branch or a Map item processor.
type graph struct {
	startAt string
	start   *state
	states  map[string]*state
	order   []*state // definition order
	// blocking reports whether any state in the graph (recursively) can
	// block: Task, Wait, Map or Parallel. Graphs that cannot block run Map
	// iterations inline instead of on goroutines.
	blocking bool
}

// optPath is an InputPath/OutputPath/ResultPath: absent means "$", and an
// explicit null is a distinct value.
type optPath struct {
	null bool
	path *jsonpath.Path // nil with null=false: "$" (identity)
}

// numField is a number given literally, by a reference path, or by a
// JSONata expression.
type numField struct {
	set   bool
	value float64
	path  *jsonpath.Path
	expr  *queryTemplate
	field string // for messages, e.g. "TimeoutSecondsPath"
}

type state struct {
	name  string
	kind  stateKind
	lang  QueryLanguage
	graph *graph

	nextName string
	next     *state
	end      bool

	// JSONPath processing
	inputPath      optPath
	outputPath     optPath
	resultPath     optPath
	parameters     *payloadTemplate
	resultSelector *payloadTemplate

	// JSONata processing
	arguments *queryTemplate
	output    *queryTemplate

	assign *assignBlock

	// Pass
	result    any
	hasResult bool

	// Task
	resource     string
	resourceKind resourceKind
	timeout      numField
	heartbeat    numField
	credentials  *payloadTemplate // JSONPath Credentials
	credentialsQ *queryTemplate   // JSONata Credentials
	waitForToken bool
	sync         bool

	retry []*retrier
	catch []*catcher

	// Choice
	choices     []*choiceRule
	defaultName string
	defaultNext *state

	// Wait
	waitSeconds   numField
	waitTimestamp *timeField

	// Fail
	errorName  strField
	errorCause strField

	// Parallel
	branches []*graph

	// Map
	itemsPath      optPath
	items          *queryTemplate
	itemSelector   *payloadTemplate
	itemSelectorQL *queryTemplate
	processor      *graph
	distributed    bool
	maxConcurrency numField
	toleratedCount numField
	toleratedPct   numField
	itemReader     *itemReader
	itemBatcher    *itemBatcher

	usesContext bool // some JSONPath field of this state refers to $$
}

type strField struct {
	set   bool
	value string
	tmpl  *payloadTemplate // ErrorPath/CausePath: a path or an intrinsic call
	expr  *queryTemplate
}

type timeField struct {
	value time.Time
	path  *jsonpath.Path
	expr  *queryTemplate
}

type retrier struct {
	errorEquals []string
	interval    float64
	maxAttempts int
	backoffRate float64
	maxDelay    float64 // 0 = none
	jitterFull  bool
}

type catcher struct {
	errorEquals []string
	nextName    string
	next        *state
	resultPath  optPath
	assign      *assignBlock
	output      *queryTemplate
}

type itemReader struct {
	resource          string
	parameters        *payloadTemplate
	arguments         *queryTemplate
	inputType         string // JSON, JSONL, CSV, MANIFEST
	csvHeaderFirstRow bool
	csvHeaders        []string
	maxItems          numField
}

type itemBatcher struct {
	maxItems     numField
	maxBytes     numField
	batchInput   *payloadTemplate
	batchInputQL *queryTemplate
}

type resourceKind uint8

const (
	resourceService  resourceKind = iota // arn:aws:states:::service:action
	resourceLambda                       // arn:aws:lambda:...:function:name
	resourceActivity                     // arn:aws:states:...:activity:name
	resourceOther
)
