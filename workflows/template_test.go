package workflows

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// The app contract between template.yaml and the Go code: which folder each
// function is built from, the environment the handlers read and the names of
// the resources other code looks up by name.

func TestTemplateFunctionsFollowTheAppContract(t *testing.T) {
	root := loadTemplate(t)
	resources := field(root, "Resources")
	want := map[string]string{
		"SubmitDragonFunction":   "handlers/submitdragon/",
		"GetExecutionFunction":   "handlers/getexecution/",
		"ListDragonsFunction":    "handlers/listdragons/",
		"ValidateDragonFunction": "handlers/validatedragon/",
		"AddDragonFunction":      "handlers/adddragon/",
		"AuditDragonFunction":    "handlers/auditdragon/",
	}
	found := map[string]bool{}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		if typ := field(res, "Type"); typ == nil || typ.Value != "AWS::Serverless::Function" {
			continue
		}
		found[id] = true
		codeURI, ok := want[id]
		if !ok {
			t.Errorf("function %s is not in the app contract", id)
			continue
		}
		props := field(res, "Properties")
		if got := field(props, "CodeUri"); got == nil || got.Value != codeURI {
			t.Errorf("%s CodeUri = %v, want %s", id, show(got), codeURI)
		}
		if bm := field(field(res, "Metadata"), "BuildMethod"); bm == nil || bm.Value != "go1.x" {
			t.Errorf("%s Metadata.BuildMethod = %v, want go1.x", id, show(bm))
		}
		if field(props, "Policies") == nil {
			t.Errorf("%s has no Policies", id)
		}
		env := field(field(props, "Environment"), "Variables")
		hasSMArn := field(env, "STATE_MACHINE_ARN") != nil
		if hasSMArn != (id == "SubmitDragonFunction") {
			t.Errorf("%s: STATE_MACHINE_ARN set = %v; only SubmitDragonFunction gets it", id, hasSMArn)
		}
	}
	for id := range want {
		if !found[id] {
			t.Errorf("function %s is missing from the template", id)
		}
	}
	sm := field(field(field(field(resources, "SubmitDragonFunction"), "Properties"), "Environment"), "Variables")
	if v := field(sm, "STATE_MACHINE_ARN"); v == nil || v.Tag != "!Ref" || v.Value != "AddDragonStateMachine" {
		t.Errorf("STATE_MACHINE_ARN = %v, want !Ref AddDragonStateMachine", show(v))
	}

	globals := field(field(root, "Globals"), "Function")
	for key, value := range map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap", "Tracing": "Active"} {
		if got := field(globals, key); got == nil || got.Value != value {
			t.Errorf("Globals.Function.%s = %v, want %s", key, show(got), value)
		}
	}
	if arch := field(globals, "Architectures"); arch == nil || len(arch.Content) != 1 || arch.Content[0].Value != "arm64" {
		t.Errorf("Globals.Function.Architectures = %v, want [arm64]", show(arch))
	}
	if f := field(field(globals, "LoggingConfig"), "LogFormat"); f == nil || f.Value != "JSON" {
		t.Errorf("Globals.Function.LoggingConfig.LogFormat = %v, want JSON", show(f))
	}
	if p := field(field(field(globals, "Environment"), "Variables"), "PARAM_PREFIX"); p == nil || p.Value != "/dragons" {
		t.Errorf("Globals PARAM_PREFIX = %v, want /dragons", show(p))
	}
}

func TestTemplateNamesWhatOtherCodeLooksUp(t *testing.T) {
	resources := field(loadTemplate(t), "Resources")
	cases := []struct{ resource, property, want string }{
		{"WorkflowDLQ", "QueueName", "dragons-workflow-dlq"},
		{"AuditDLQ", "QueueName", "dragons-audit-dlq"},
		{"BucketNameParameter", "Name", "/dragons/bucket"},
		{"CatalogKeyParameter", "Name", "/dragons/key"},
	}
	for _, c := range cases {
		got := field(field(field(resources, c.resource), "Properties"), c.property)
		if got == nil || got.Value != c.want {
			t.Errorf("%s.%s = %v, want %s", c.resource, c.property, show(got), c.want)
		}
	}
	if v := field(field(field(resources, "BucketNameParameter"), "Properties"), "Value"); v == nil || v.Tag != "!Ref" || v.Value != "DragonsBucket" {
		t.Errorf("/dragons/bucket value = %v, want !Ref DragonsBucket", show(v))
	}
	key := field(field(loadTemplate(t), "Parameters"), "CatalogKey")
	if d := field(key, "Default"); d == nil || d.Value != "Dragons.json" {
		t.Errorf("CatalogKey default = %v, want Dragons.json", show(d))
	}
}

// show renders a YAML node for a failure message: its tag and scalar value,
// or "missing".
func show(n *yaml.Node) string {
	if n == nil {
		return "missing"
	}
	if n.Kind != yaml.ScalarNode {
		return n.ShortTag() + " (not a scalar)"
	}
	if n.Tag == "" || n.Tag == "!!str" {
		return n.Value
	}
	return n.Tag + " " + n.Value
}
